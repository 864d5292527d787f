from devtune_contract.masking import Redactor, mask

KEY = "dtk_live_" + "ab12" * 16


def test_mask_shows_prefix_and_length_only() -> None:
    assert mask(KEY) == "dtk_live_ab12…(73 chars)"
    assert mask("whsec_c2VjcmV0c2VjcmV0") == "whsec_c2Vj…(22 chars)"
    assert mask("0123456789abcdef") == "0123…(16 chars)"


def test_redactor_hides_registered_values_everywhere() -> None:
    redactor = Redactor(["s3cr3t-value-1234"])
    text = redactor.redact("value s3cr3t-value-1234 twice s3cr3t-value-1234")
    assert "s3cr3t-value-1234" not in text
    assert text.count("s3cr…(17 chars)") == 2


def test_redactor_hides_unregistered_keys_and_secret_fields() -> None:
    text = Redactor().redact(f'Bearer {KEY} {{"data":{{"secret": "deadbeefdeadbeef"}}}}')
    assert KEY not in text
    assert "deadbeefdeadbeef" not in text


def test_redactor_hides_truncated_keys_in_reprs() -> None:
    text = Redactor().redact("{'bearer': 'dtk_live_8397f03b8eefff71...'}")
    assert "8397f03b8eefff71" not in text


def test_short_values_are_not_masked() -> None:
    redactor = Redactor(["abc"])
    assert redactor.redact("abc") == "abc"
