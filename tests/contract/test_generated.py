"""Property-based part: schemathesis generates requests; every response meets every check.

Generated path parameters are random UUIDs and malformed strings, credentials are missing or
malformed in negative mode, and the coverage phase also sends unexpected methods. Neither
test can rotate the pinned webhook: generated ids never equal it.
"""

from devtune_contract.suite.plugin import current_session
from devtune_contract.suite.session import ContractSession

session = current_session()


# schemathesis' decorators are untyped; the test functions themselves are typed.
@session.generated_schema.parametrize()  # type: ignore[untyped-decorator]
def test_generated_requests(case: object, contract: ContractSession) -> None:
    contract.exchange(case, generated=True)


@session.project_schema.parametrize()  # type: ignore[untyped-decorator]
def test_generated_requests_in_project(case: object, contract: ContractSession) -> None:
    contract.exchange(case, generated=True)
