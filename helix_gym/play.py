"""Human play: `python -m helix_gym.play Sudoku --level 3 [--seed N] [--obs image|text] [--size 640]`.

A pygame window over a step-mode HelixEnv, so every command goes through the env API exactly as an agent's
would: the command box takes any command of the task's grammar (plus undo, restart, submit, answer <...>).
Shortcuts, when the command box is empty and not focused: the task's `key_commands` (Maze: arrows), a click on
the picture selects a cell and a key on it goes through `task.cell_command` (Sudoku: 7 -> place r c 7),
u or Ctrl+Z undo, r restart, n new puzzle, Tab focuses the command box, Esc quits.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from helix_gym.core.env import HelixEnv
from helix_gym.core.errors import UnknownTask
from helix_gym.core.registry import get_task, task_names
from helix_gym.core.task import Task

BACKGROUND = (245, 245, 245)
TEXT = (30, 30, 30)
MUTED = (110, 110, 110)
ERROR = (200, 40, 40)
SUCCESS = (30, 140, 60)
SELECT = (255, 170, 0)
BOX_BORDER = (90, 90, 90)
FOCUS_BORDER = (40, 110, 220)
KEYS_HELP = "Enter: send | Tab: type | up/down: history | u, Ctrl+Z: undo | r: restart | n: new | Esc: quit"
MESSAGE_LINES = 2
HELP_LINES = 8


def import_pygame() -> Any:
    """pygame is an optional extra: import it only when a window is wanted."""
    try:
        import pygame
    except ImportError as exc:
        raise SystemExit("human play needs pygame: pip install 'helix-gym[play]'") from exc
    return pygame


def _overrides(task: Task, method: str) -> bool:
    return getattr(type(task), method) is not getattr(Task, method)


class PlaySession:
    """One human playing one task: the env, the selected cell, the command box and the status it shows."""

    def __init__(self, task: str | Task, level: int = 1, seed: int | None = None, obs: str = "image",
                 size: int = 640) -> None:
        self.pg = import_pygame()
        self.task = get_task(task)
        self.size = int(size)
        self.env = HelixEnv(self.task, mode="step", obs=obs, level=level, image_size=self.size)
        self.level = self.env.level
        self.seed = int(seed) if seed is not None else int(np.random.default_rng().integers(0, 2**31 - 1))
        self.text = ""  # the command box
        self.focused = False  # typing into the box even while it is empty
        self.history: list[str] = []
        self.history_pos = 0
        self.running = True
        self.selected: tuple[int, int] | None = None
        self.selected_rect: tuple[float, float, float, float] | None = None  # in render coordinates
        self.hint = ""
        self._fonts: dict[int | None, Any] = {}
        self._help: list[str] | None = None
        self._frame: tuple[Any, Any] | None = None  # (the env's image array, its pygame surface)
        self.reset(self.seed)

    # ---- episode --------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, same_puzzle: bool = False) -> None:
        """A new puzzle from `seed`, or the current puzzle from its start (after the episode ended)."""
        if same_puzzle and self.env.puzzle is not None:
            self.obs, self.info = self.env.reset(options={"puzzle": self.env.puzzle})
        else:
            self.seed = self.seed if seed is None else int(seed)
            self.obs, self.info = self.env.reset(seed=self.seed, options={"level": self.level})
        self.done = False
        self.selected = self.selected_rect = None
        self.hint = ""
        picture = self.task.render(self.env.puzzle, self.env.state, self.size)
        self.render_size = picture.size

    def send(self, command: str) -> None:
        """One command through env.step; the status line reads the env's info."""
        self.obs, _, terminated, truncated, self.info = self.env.step(command)
        self.done = self.done or terminated or truncated
        self.hint = ""

    @property
    def state(self) -> Any:
        return self.env.state

    # ---- coordinates ----------------------------------------------------------------------------------
    def _letterbox(self) -> tuple[float, float, float, float]:
        """(offset x, offset y, scale x, scale y) of the task's picture inside the env's square image."""
        w, h = self.render_size
        scale = min(self.size / w, self.size / h)
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        return (self.size - new_w) // 2, (self.size - new_h) // 2, new_w / w, new_h / h

    def to_render(self, px: float, py: float) -> tuple[float, float]:
        ox, oy, sx, sy = self._letterbox()
        return (px - ox) / sx, (py - oy) / sy

    def to_window(self, x: float, y: float) -> tuple[float, float]:
        ox, oy, sx, sy = self._letterbox()
        return ox + x * sx, oy + y * sy

    def cell_at_window(self, px: float, py: float) -> tuple[int, int] | None:
        if self.env.obs_kind == "text" or not (0 <= px < self.size and 0 <= py < self.size):
            return None
        x, y = self.to_render(px, py)
        return self.task.cell_at(self.env.puzzle, x, y, self.size)

    def _cell_rect(self, cell: tuple[int, int], x: float, y: float) -> tuple[float, float, float, float]:
        """The cell's box in render coordinates, found by walking out from (x, y) until the cell changes."""
        w, h = self.render_size

        def reach(dx: int, dy: int) -> float:
            cx, cy = x, y
            while 0 <= cx + dx < w and 0 <= cy + dy < h and \
                    self.task.cell_at(self.env.puzzle, cx + dx, cy + dy, self.size) == cell:
                cx, cy = cx + dx, cy + dy
            return cx if dx else cy

        return reach(-1, 0), reach(0, -1), reach(1, 0) + 1, reach(0, 1) + 1

    @property
    def clickable(self) -> bool:
        """Clicking selects a cell only where a key on it means something (and the picture is shown)."""
        return self.env.obs_kind == "image" and _overrides(self.task, "cell_command")

    def select(self, px: float, py: float) -> None:
        cell = self.cell_at_window(px, py) if self.clickable else None
        if cell is None or cell == self.selected:
            self.selected = self.selected_rect = None
            return
        self.selected = cell
        self.selected_rect = self._cell_rect(cell, *self.to_render(px, py))
        self.hint = "cell selected: type a key (click it again or Esc to deselect)"

    # ---- events ---------------------------------------------------------------------------------------
    def handle_event(self, event: Any) -> None:
        pg = self.pg
        if event.type == pg.QUIT:
            self.running = False
        elif event.type == pg.MOUSEBUTTONDOWN and getattr(event, "button", 1) == 1:
            self.focused = event.pos[1] >= self.size  # a click under the picture focuses the command box
            self.select(*event.pos)
        elif event.type == pg.KEYDOWN:
            self._key(pg.key.name(event.key), getattr(event, "unicode", ""), getattr(event, "mod", 0))

    def _key(self, name: str, char: str, mod: int) -> None:
        typing = bool(self.text) or self.focused
        if name == "z" and mod & (self.pg.KMOD_CTRL | self.pg.KMOD_META):  # Ctrl+Z, Cmd+Z
            self.send("undo")
        elif name in ("return", "enter"):
            self._submit_box()
        elif name == "escape":
            self._escape()
        elif name == "tab":
            self.focused = True
        elif typing and name == "backspace":
            self.text = self.text[:-1]
        elif name in self.task.key_commands and not self.text:
            self.send(self.task.key_commands[name])
        elif name in ("up", "down") and (typing or self.history):
            self._recall(-1 if name == "up" else 1)
        elif typing:
            if char and char.isprintable():
                self.text += char
        else:
            self._shortcut(name, char)

    def _shortcut(self, name: str, char: str) -> None:
        """A key pressed while the command box is idle: a cell command, a one-letter action, or typing starts."""
        key = char if char and char.isprintable() and char.strip() else name
        if self.selected is not None:
            command = self.task.cell_command(self.env.puzzle, self.state, self.selected, key)
            if command:
                self.send(command)
                return
        if key == "u":
            self.send("undo")
        elif key == "r":
            if self.done:
                self.reset(same_puzzle=True)
            else:
                self.send("restart")
        elif key == "n":
            self.reset(self.seed + 1)
        elif key == char:  # any other printable key starts a command
            self.text = char

    def _submit_box(self) -> None:
        command = self.text.strip()
        if not command:
            self.focused = True
            return
        self.history.append(command)
        self.history_pos = len(self.history)
        self.text = ""
        self.send(command)

    def _escape(self) -> None:
        if self.text or self.focused:
            self.text, self.focused = "", False
        elif self.selected is not None:
            self.selected = self.selected_rect = None
        else:
            self.running = False

    def _recall(self, delta: int) -> None:
        self.history_pos = min(max(self.history_pos + delta, 0), len(self.history))
        self.text = self.history[self.history_pos] if self.history_pos < len(self.history) else ""
        self.focused = True

    # ---- drawing --------------------------------------------------------------------------------------
    def font(self, px: int | None = None) -> Any:
        """The panel's font, or the monospace font of the text view at `px` pixels."""
        if px not in self._fonts:
            pg = self.pg
            pg.font.init()
            self._fonts[px] = pg.font.Font(None, max(14, self.size // 36) + 4) if px is None else \
                pg.font.SysFont("dejavusansmono,liberationmono,menlo,couriernew,courier,monospace", px)
        return self._fonts[px]

    @property
    def line_height(self) -> int:
        return self.font().get_linesize() + 2

    def _wrapped(self, text: str) -> list[str]:
        font = self.font()
        return _wrap(text, lambda part: font.size(part)[0], self.size - 16)

    def help_lines(self) -> list[str]:
        """The task's commands, the env's own, and the keys, wrapped to the window (fixed per task)."""
        if self._help is None:
            lines = [*self.task.step_help.strip().splitlines(), "also: undo, restart, submit, answer <final answer>"]
            keys = [f"{k}: {v}" for k, v in self.task.key_commands.items()]
            if self.clickable:
                keys.append("click a cell, then type a key")
            if keys:
                lines.append("Keys: " + ", ".join(keys))
            lines.append(KEYS_HELP)
            wrapped = [part for line in lines for part in self._wrapped(line.strip())]
            self._help = wrapped if len(wrapped) <= HELP_LINES else [*wrapped[: HELP_LINES - 1], "..."]
        return self._help

    def window_size(self) -> tuple[int, int]:
        lines = 1 + MESSAGE_LINES + len(self.help_lines())
        return self.size, self.size + 8 + lines * self.line_height + self.line_height + 16

    def status_line(self) -> str:
        info = self.info
        parts = [f"{self.task.name}  level {self.level}  seed {self.seed}",
                 f"step {info['step']}/{self.env.max_steps}"]
        if info.get("result"):
            parts.append(f"last: {info['result']}")
        return "    ".join(parts)

    def message(self) -> tuple[str, tuple[int, int, int]]:
        """What the player most needs to read now: the verdict, the last error, or a hint."""
        verdict = self.info.get("verdict")
        if self.done and verdict is not None:
            if verdict["correct"]:
                return "Solved! n: new puzzle, r: play it again, Esc: quit", SUCCESS
            reasons = "; ".join(verdict["violations"]) or "the answer is wrong"
            return f"Wrong: {reasons}  (n: new puzzle, r: play it again)", ERROR
        if self.done:
            return "Out of steps. n: new puzzle, r: play it again", ERROR
        if self.info.get("error"):
            return str(self.info["error"]), ERROR
        return self.hint, MUTED

    def draw(self, surface: Any) -> None:
        surface.fill(BACKGROUND)
        if self.env.obs_kind == "text":
            self._draw_state_text(surface)
        else:
            surface.blit(self._picture(), (0, 0))
            self._draw_selection(surface)
        y = self.size + 8
        y = self._write(surface, [self.status_line()], y, TEXT)
        text, color = self.message()
        message = self._wrapped(text)
        if len(message) > MESSAGE_LINES:
            message = [*message[: MESSAGE_LINES - 1], message[MESSAGE_LINES - 1] + " ..."]
        y = self._write(surface, message, y, color) + (MESSAGE_LINES - len(message)) * self.line_height
        y = self._write(surface, self.help_lines(), y, MUTED)
        self._draw_box(surface, y + 4)

    def _picture(self) -> Any:
        image = self.obs["image"]
        if self._frame is None or self._frame[0] is not image:
            surface = self.pg.image.frombytes(np.ascontiguousarray(image).tobytes(), image.shape[1::-1], "RGB")
            self._frame = (image, surface)
        return self._frame[1]

    def _draw_selection(self, surface: Any) -> None:
        if self.selected_rect is None:
            return
        x0, y0, x1, y1 = self.selected_rect
        (a, b), (c, d) = self.to_window(x0, y0), self.to_window(x1, y1)
        rect = self.pg.Rect(round(a), round(b), max(1, round(c - a)), max(1, round(d - b)))
        tint = self.pg.Surface(rect.size, self.pg.SRCALPHA)
        tint.fill((*SELECT, 60))
        surface.blit(tint, rect.topleft)
        self.pg.draw.rect(surface, SELECT, rect, width=3)

    def _draw_state_text(self, surface: Any) -> None:
        """The task's state text in a monospace font sized to fill the picture's square."""
        lines = self.task.state_text(self.env.puzzle, self.state).splitlines() or [""]
        probe = self.font(40)
        width = max(probe.size(line)[0] for line in lines) or 1
        scale = min((self.size - 16) / width, (self.size - 16) / (probe.get_linesize() * len(lines)))
        font = self.font(max(8, min(48, int(40 * scale))))
        for i, line in enumerate(lines):
            surface.blit(font.render(line, True, TEXT), (8, 8 + i * font.get_linesize()))

    def _write(self, surface: Any, lines: list[str], y: int, color: tuple[int, int, int]) -> int:
        """Blit already-wrapped lines from `y` down; returns the next free y."""
        for line in lines:
            surface.blit(self.font().render(line, True, color), (8, y))
            y += self.line_height
        return y

    def _draw_box(self, surface: Any, y: int) -> None:
        font = self.font()
        active = bool(self.text) or self.focused
        rect = self.pg.Rect(6, y, self.size - 12, self.line_height + 8)
        self.pg.draw.rect(surface, (255, 255, 255), rect)
        self.pg.draw.rect(surface, FOCUS_BORDER if active else BOX_BORDER, rect, width=2)
        shown = "> " + self.text + ("_" if active else "")
        if not active:
            shown = "> type a command (Tab or click here)"
        while font.size(shown)[0] > rect.width - 12 and len(shown) > 3:
            shown = "> " + shown[3:]  # keep the end of a long command in view
        surface.blit(font.render(shown, True, TEXT if active else MUTED), (rect.x + 6, rect.y + 5))

    # ---- loop -----------------------------------------------------------------------------------------
    def run(self) -> None:
        pg = self.pg
        pg.display.init()
        pg.font.init()
        screen = pg.display.set_mode(self.window_size())
        pg.display.set_caption(f"Helix-Gym: {self.task.name}")
        pg.key.set_repeat(350, 40)
        clock = pg.time.Clock()
        try:
            while self.running:
                for event in pg.event.get():
                    self.handle_event(event)
                self.draw(screen)
                pg.display.flip()
                clock.tick(30)
        finally:
            pg.quit()


def _wrap(text: str, width_of: Any, max_width: int) -> list[str]:
    """Greedy word wrap by pixel width (a word longer than a line is cut)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if width_of(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while width_of(word) > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and width_of(word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helix_gym.play", description=__doc__.splitlines()[0])
    parser.add_argument("task", help="task name, official key or env id (Sudoku, maze, Helix/Maze-v0)")
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="puzzle seed (default: random; n adds 1)")
    parser.add_argument("--obs", choices=("image", "text"), default="image", help="show the picture or the text")
    parser.add_argument("--size", type=int, default=640, help="picture size in pixels")
    args = parser.parse_args(argv)
    try:
        task = get_task(args.task)
    except UnknownTask:
        parser.error(f"unknown task {args.task!r}; known: {', '.join(task_names())}")
    try:
        session = PlaySession(task, level=args.level, seed=args.seed, obs=args.obs, size=args.size)
    except ValueError as exc:
        parser.error(str(exc))
    session.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
