"""Reply handling: <think> stripping and the step-mode command (last \\boxed{}, else the last Move: line)."""

from agents.llm.replies import step_action, step_command, strip_think


def test_strip_think_removes_closed_lone_and_unclosed_blocks():
    assert strip_think("<think>a \\boxed{1}</think>The answer is \\boxed{2}") == "The answer is \\boxed{2}"
    assert strip_think("reasoning opened by the template</think>\n\\boxed{3}") == "\\boxed{3}"
    assert strip_think("<think>one</think>x<THINK>two</THINK>y") == "xy"
    assert strip_think("Fine so far. <think>cut off while thinking") == "Fine so far."
    assert strip_think("no reasoning") == "no reasoning"


def test_step_command_prefers_the_last_boxed_then_move_lines():
    assert step_command("I go up first \\boxed{up}, no: \\boxed{left}") == "left"
    assert step_command("Move: up\nthinking more\n**Move:** down.") == "down"
    assert step_command("<think>\\boxed{up}</think>Move: right") == "right"
    assert step_command("Move: `place 1 2 3`") == "place 1 2 3"
    assert step_command("I have no idea") is None
    assert step_command("<think>only thoughts \\boxed{up}") == "up"  # nothing left after stripping: use all


def test_step_action_is_bare_unless_the_env_would_cut_it():
    assert step_action("Let me see. \\boxed{undo}") == "undo"
    assert step_action("\\boxed{answer: up down}") == "\\boxed{answer: up down}"
    assert step_action("<think>x</think>no command here") == "no command here"
