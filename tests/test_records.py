import json

import pytest

from helix_gym.core.errors import RecordError
from helix_gym.core.records import decode_value, int_list_from_record


def test_decode_value_reads_json_then_python_literals_never_code():
    assert decode_value('{"a": [1, 2]}') == {"a": [1, 2]}
    assert decode_value("{'a': (1, 2)}") == {"a": (1, 2)}
    assert decode_value("[[1, 2], [3]]") == [[1, 2], [3]]
    assert decode_value("__import__('os')") == "__import__('os')"
    assert decode_value("S..#\n..E") == "S..#\n..E"
    assert decode_value([1]) == [1] and decode_value(None) is None


def test_int_list_from_record_sources():
    want = [3, 0, 2]
    for state in ({"h": want}, json.dumps({"h": want}), str({"h": want}), want, str(want)):
        assert int_list_from_record({"initial_state": state}, "h", "T") == want
    question = {"question_language": "Heights: [3, 0, 2]. Then [9, 9]."}
    assert int_list_from_record(question, "h", "T") == want
    assert int_list_from_record({"initial_state": {"s": [-1, 4]}}, "s", "T", low=None) == [-1, 4]


@pytest.mark.parametrize("state", [{"h": []}, {"h": [1, -1]}, {"h": [1, True]}, {"h": [1.5]}, {"h": "abc"}, {},
                                   {"h": [1, 2, 3, 4, 5]}])
def test_int_list_from_record_refuses(state):
    with pytest.raises(RecordError):
        int_list_from_record({"initial_state": state}, "h", "T", max_len=4)
