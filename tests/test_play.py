"""Human play, headless: synthetic pygame events drive a PlaySession and the env's state is checked."""

from __future__ import annotations

import os

import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
pygame = pytest.importorskip("pygame")

from helix_gym.core.errors import InvalidMove  # noqa: E402
from helix_gym.core.registry import task_names  # noqa: E402
from helix_gym.play import PlaySession, main  # noqa: E402

ARROWS = {"up": pygame.K_UP, "down": pygame.K_DOWN, "left": pygame.K_LEFT, "right": pygame.K_RIGHT}


@pytest.fixture(autouse=True)
def display():
    pygame.display.init()
    pygame.font.init()
    yield


def needs(name: str) -> None:
    if name not in task_names():
        pytest.skip(f"task {name} is not registered")


def press(session: PlaySession, key: int, char: str = "", mod: int = 0) -> None:
    session.handle_event(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=mod))


def type_text(session: PlaySession, text: str) -> None:
    for char in text:
        press(session, ord(char), char)


def click(session: PlaySession, pos: tuple[int, int]) -> None:
    session.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


@pytest.fixture
def maze() -> PlaySession:
    needs("Maze")
    return PlaySession("Maze", level=1, seed=3, size=320)


@pytest.fixture
def sudoku() -> PlaySession:
    needs("Sudoku")
    return PlaySession("Sudoku", level=1, seed=5, size=360)


def split_moves(session: PlaySession) -> tuple[dict[str, object], list[str]]:
    """The arrows that move from the start (with the state they reach) and those a wall blocks."""
    task, puzzle, start = session.task, session.env.puzzle, session.state
    open_, blocked = {}, []
    for word in ARROWS:
        try:
            open_[word] = task.apply(puzzle, start, word)
        except InvalidMove:
            blocked.append(word)
    assert open_ and blocked, "pick a seed whose start has both an open and a blocked side"
    return open_, blocked


def test_arrow_moves_through_an_opening(maze):
    open_, _ = split_moves(maze)
    word, expected = next(iter(open_.items()))
    press(maze, ARROWS[word])
    assert maze.state == expected
    assert maze.info["result"] == "ok" and maze.info["step"] == 1


def test_arrow_into_a_wall_changes_nothing_and_says_why(maze):
    _, blocked = split_moves(maze)
    start = maze.state
    press(maze, ARROWS[blocked[0]])
    assert maze.state == start
    text, _ = maze.message()
    assert "invalid" in text and maze.info["step"] == 1


def test_typed_command_goes_through_env_step(maze):
    open_, _ = split_moves(maze)
    word, expected = next(iter(open_.items()))
    press(maze, pygame.K_TAB)  # focus the box, so a leading u/r/n is typed rather than a shortcut
    type_text(maze, word)
    assert maze.text == word and maze.state != expected
    press(maze, pygame.K_RETURN, "\r")
    assert maze.state == expected and maze.text == "" and maze.history == [word]


def test_letters_type_into_a_nonempty_box(maze):
    type_text(maze, "d")  # 'd' is no shortcut: it starts the command
    type_text(maze, "un")  # now 'u' and 'n' are letters, not undo / new puzzle
    assert maze.text == "dun" and maze.info["step"] == 0
    press(maze, pygame.K_BACKSPACE, "\b")
    assert maze.text == "du"
    press(maze, pygame.K_ESCAPE, "\x1b")
    assert maze.text == "" and maze.running


def test_undo_restart_and_ctrl_z(maze):
    open_, _ = split_moves(maze)
    word, moved = next(iter(open_.items()))
    start = maze.state
    press(maze, ARROWS[word])
    type_text(maze, "u")
    assert maze.state == start and maze.info["result"] == "undone"
    press(maze, ARROWS[word])
    press(maze, pygame.K_z, "\x1a", pygame.KMOD_LCTRL)
    assert maze.state == start
    press(maze, ARROWS[word])
    assert maze.state == moved
    type_text(maze, "r")
    assert maze.state == start and maze.info["result"] == "restarted"


def test_solving_by_keys_ends_the_episode_and_r_replays(maze):
    puzzle = maze.env.puzzle
    for word in maze.task.solve_moves(puzzle):
        press(maze, ARROWS[word])
    assert maze.done and maze.info["verdict"]["correct"]
    assert maze.message()[0].startswith("Solved")
    type_text(maze, "r")
    assert not maze.done and maze.env.puzzle == puzzle and maze.state == maze.task.initial_state(puzzle)


def test_new_puzzle(maze):
    before = maze.env.puzzle
    press(maze, pygame.K_RIGHT)
    type_text(maze, "n")
    assert maze.seed == 4 and maze.env.puzzle != before and maze.info["step"] == 0


def test_escape_and_close_quit(maze):
    press(maze, pygame.K_ESCAPE, "\x1b")
    assert not maze.running
    maze.running = True
    maze.handle_event(pygame.event.Event(pygame.QUIT))
    assert not maze.running


def pixel_of(session: PlaySession, cell: tuple[int, int]) -> tuple[int, int]:
    """A window pixel inside `cell`: the middle of the pixels that map to it."""
    hits = [(x, y) for y in range(0, session.size, 3) for x in range(0, session.size, 3)
            if session.cell_at_window(x, y) == cell]
    assert hits, f"no pixel maps to {cell}"
    xs, ys = sorted(x for x, _ in hits), sorted(y for _, y in hits)
    return xs[len(xs) // 2], ys[len(ys) // 2]


def blank_cell(session: PlaySession) -> tuple[int, int]:
    givens = session.env.puzzle.data["givens"]
    return next((r, c) for r in range(9) for c in range(9) if not givens[r][c])


def test_click_a_cell_then_a_digit_places_it(sudoku):
    cell = blank_cell(sudoku)
    start, puzzle = sudoku.state, sudoku.env.puzzle
    click(sudoku, pixel_of(sudoku, cell))
    assert sudoku.selected == cell and sudoku.selected_rect is not None
    press(sudoku, pygame.K_7, "7")
    r, c = cell
    assert sudoku.state == sudoku.task.apply(puzzle, start, f"place {r + 1} {c + 1} 7")
    press(sudoku, pygame.K_BACKSPACE, "\b")
    assert sudoku.state == start


def test_click_again_or_outside_deselects(sudoku):
    cell = blank_cell(sudoku)
    pos = pixel_of(sudoku, cell)
    click(sudoku, pos)
    click(sudoku, pos)
    assert sudoku.selected is None
    click(sudoku, pos)
    click(sudoku, (sudoku.size // 2, sudoku.size + 20))  # the panel: focuses the command box
    assert sudoku.selected is None and sudoku.focused


def test_history_recall(sudoku):
    r, c = blank_cell(sudoku)
    command = f"place {r + 1} {c + 1} 5"
    type_text(sudoku, command)
    press(sudoku, pygame.K_RETURN, "\r")
    assert sudoku.info["result"] == "ok"
    press(sudoku, pygame.K_UP)
    assert sudoku.text == command
    press(sudoku, pygame.K_DOWN)
    assert sudoku.text == ""


def test_draw_image_and_text(sudoku, maze):
    for session in (sudoku, maze, PlaySession(sudoku.task, level=1, seed=5, obs="text", size=360)):
        screen = pygame.display.set_mode(session.window_size())
        click(session, pixel_of(session, (0, 0)) if session.env.obs_kind == "image" else (5, 5))
        session.draw(screen)
        pixels = pygame.surfarray.array3d(screen).reshape(-1, 3)
        assert len({tuple(p) for p in pixels[::97]}) > 3


@pytest.mark.parametrize("name", task_names())
def test_every_task_plays_through_the_command_box(name):
    session = PlaySession(name, level=1, seed=0, size=256)
    type_text(session, "xyzzy")
    press(session, pygame.K_RETURN, "\r")
    assert session.info["step"] == 1 and "xyzzy" in session.message()[0]
    session.draw(pygame.display.set_mode(session.window_size()))


def test_main_runs_the_loop_until_quit(monkeypatch):
    needs("Maze")
    monkeypatch.setattr(pygame.event, "get", lambda: [pygame.event.Event(pygame.QUIT)])
    assert main(["maze", "--level", "1", "--seed", "2", "--size", "256"]) == 0


def test_main_rejects_unknown_task():
    with pytest.raises(SystemExit):
        main(["NoSuchTask"])
