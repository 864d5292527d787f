"""Property-based part: schemathesis generates requests; every response meets every check.

Generated path parameters are random UUIDs and malformed strings, credentials are missing or
malformed in negative mode. The coverage phase also sends methods the contract never names:
those are undocumented requests (``engine/scopes.py``), judged by HTTP's rules and the security
invariants and passed by any refusal. Neither test can rotate the pinned webhook: generated ids
never equal it. The schemas come from the run's fixtures, so nothing is built at import time.
"""

import schemathesis

from devtune_contract.suite.engine.session import ContractSession

generated_schema = schemathesis.pytest.from_fixture("generated_schema")
project_schema = schemathesis.pytest.from_fixture("project_schema")


@generated_schema.parametrize()
def test_generated_requests(case: object, contract: ContractSession) -> None:
    contract.send_generated(case).verify()


@project_schema.parametrize()
def test_generated_requests_in_project(case: object, contract: ContractSession) -> None:
    contract.send_generated(case).verify()
