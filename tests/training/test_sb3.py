"""stable-baselines3 wrappers and recipe: spaces, the action mapping, masks, and a tiny end-to-end run.

The wrapper tests need only gymnasium; the training tests skip without stable-baselines3 (and torch)."""

from __future__ import annotations

import csv
import json
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import helix_gym
from helix_gym.core.parse import normalize_command
from training.sb3 import (
    CharGridEncoder,
    DiscreteMoves,
    ImageObservation,
    SeedPool,
    SymbolicObservation,
    board_block,
    make_env,
    move_space_size,
)

GAMES = ["Maze", "SlidingPuzzle", "Hanoi", "Nibbles"]


def _step_env(task: str, **kwargs) -> gym.Env:
    return helix_gym.make(task, mode="step", level=1, **kwargs)


def _base(env: gym.Env):
    return env.unwrapped


@pytest.mark.parametrize("task", GAMES)
@pytest.mark.parametrize("obs", ["symbolic", "image"])
def test_spaces_pass_gymnasium_check_env(task, obs):
    env = make_env(task, level=1, obs=obs, extra=("undo", "restart"))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*different from the unwrapped")  # it prefers raw envs
        check_env(env, skip_render_check=True)
    assert isinstance(env.action_space, gym.spaces.Discrete)
    assert isinstance(env.observation_space, gym.spaces.Box)
    obs_value, _ = env.reset(seed=3)
    assert env.observation_space.contains(obs_value)
    if obs == "image":
        assert env.observation_space.shape == (64, 64, 3) and env.observation_space.dtype == np.uint8
    else:
        assert env.observation_space.dtype == np.float32 and env.observation_space.shape[0] > 0


def test_sb3_env_checker_is_quiet():
    checker = pytest.importorskip("stable_baselines3.common.env_checker")
    for obs in ("symbolic", "image"):
        env = make_env("Maze", level=1, obs=obs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any advice from SB3's checker fails the test
            checker.check_env(env, warn=True)


@pytest.mark.parametrize("task", GAMES)
def test_action_mapping_round_trip(task):
    env = make_env(task, level=1, extra=("undo", "restart"))
    env.reset(seed=5)
    moves = env.get_wrapper_attr("commands")
    space = _base(env).task.move_space(_base(env).puzzle)
    assert moves[: len(space)] == space
    assert moves[-2:] == ["undo", "restart"]
    index = env.get_wrapper_attr("action_index")
    command = env.get_wrapper_attr("command")
    for i, cmd in enumerate(moves):
        assert command(i) == cmd
        if cmd is not None:
            assert index(cmd) == i
            assert index(cmd.upper()) == i  # any spelling normalize_command maps alike
    with pytest.raises(ValueError):
        command(env.action_space.n)


def test_step_sends_the_mapped_command_and_undo_restart_work():
    env = make_env("Maze", level=1, extra=("undo", "restart"))
    env.reset(seed=11)
    base = _base(env)
    legal = base.task.moves(base.puzzle, base.state)
    start = base.state
    action = env.get_wrapper_attr("action_index")(legal[0])
    _, _, _, _, info = env.step(action)
    assert info["command"] == legal[0] and not info["invalid"]
    assert base.state == base.task.apply(base.puzzle, start, legal[0])
    mask = env.get_wrapper_attr("action_masks")()
    undo = env.get_wrapper_attr("action_index")("undo")
    assert mask[undo] and mask[undo + 1]
    _, _, _, _, info = env.step(undo)
    assert not info["invalid"] and base.state == start
    assert not env.get_wrapper_attr("action_masks")()[undo]  # nothing left to undo


@pytest.mark.parametrize("task", GAMES)
def test_masks_match_legal_moves(task):
    env = make_env(task, level=1, extra=("undo",))
    rng = np.random.default_rng(0)
    env.reset(seed=2)
    base = _base(env)
    for _ in range(30):
        mask = env.get_wrapper_attr("action_masks")()
        commands = env.get_wrapper_attr("commands")
        legal = {normalize_command(m) for m in base.task.moves(base.puzzle, base.state)}
        marked = {normalize_command(c) for c, ok in zip(commands, mask) if ok and c not in (None, "undo")}
        assert marked == legal
        blocked = [i for i in np.flatnonzero(~mask) if commands[i] not in (None, "undo")]
        if blocked:  # a masked-out move is one the env rejects, leaving the position as it was
            before = base.state
            _, _, terminated, truncated, info = env.step(int(blocked[0]))
            assert info["invalid"] and base.state == before
            if terminated or truncated:
                env.reset(seed=int(rng.integers(1000)))
                continue
            mask = env.get_wrapper_attr("action_masks")()
        _, _, terminated, truncated, _ = env.step(int(rng.choice(np.flatnonzero(mask))))
        if terminated or truncated:
            env.reset(seed=int(rng.integers(1000)))


def test_illegal_and_padded_actions_change_nothing():
    env = DiscreteMoves(_step_env("Maze", obs="text"), n_moves=6)  # two padded actions past the 4 directions
    env.reset(seed=4)
    base = _base(env)
    assert env.action_space.n == 6 and env.commands[4:] == [None, None]
    before = base.state
    _, reward, terminated, _, info = env.step(5)
    assert info["command"] is None and info["invalid"] and base.state == before
    assert reward == 0.0 and not terminated and info["step"] == 1
    wall = next(i for i, ok in enumerate(env.action_masks()) if not ok and env.commands[i] is not None)
    _, _, _, _, info = env.step(wall)
    assert info["invalid"] and base.state == before


def test_invalid_penalty_and_shaping():
    env = make_env("Maze", level=1, shaping=True, invalid_penalty=0.25)
    env.reset(seed=4)
    mask = env.get_wrapper_attr("action_masks")()
    _, reward, _, _, info = env.step(int(np.flatnonzero(~mask)[0]))
    assert info["invalid"] and reward == pytest.approx(-0.25)
    _, reward, _, _, info = env.step(int(np.flatnonzero(mask)[0]))
    assert reward == pytest.approx(info["shaping"])  # the potential difference, nothing else


def test_instance_dependent_move_space_is_padded_to_a_fixed_size():
    env = make_env("Minesweeper", level=1, obs="symbolic")
    n = env.action_space.n
    assert n == move_space_size(_base(env).task, 1)
    sizes = set()
    for seed in range(6):
        env.reset(seed=seed)
        assert env.action_space.n == n
        base = _base(env)
        space = base.task.move_space(base.puzzle)
        sizes.add(len(space))
        assert env.get_wrapper_attr("commands")[: len(space)] == space
        mask = env.get_wrapper_attr("action_masks")()
        assert not mask[len(space):].any()  # padding is never legal
    assert len(sizes) > 1


def test_union_layout_keeps_one_meaning_per_action():
    env = make_env("Minesweeper", level=1, layout="union")
    env.reset(seed=0)
    first = list(env.get_wrapper_attr("commands"))
    env.reset(seed=1)
    assert env.get_wrapper_attr("commands") == first
    base = _base(env)
    legal = base.task.moves(base.puzzle, base.state)
    mask = env.get_wrapper_attr("action_masks")()
    assert {first[i] for i in np.flatnonzero(mask)} == set(legal)


def test_is_success_reported_at_episode_end():
    env = make_env("Maze", level=1)
    env.reset(seed=8)
    base = _base(env)
    info = {}
    for move in base.task.solve_moves(base.puzzle):
        _, reward, terminated, _, info = env.step(env.get_wrapper_attr("action_index")(move))
    assert terminated and reward == 1.0 and info["is_success"] is True


def test_symbolic_encoding_reads_the_board():
    env = SymbolicObservation(DiscreteMoves(_step_env("Maze", obs="text")), flatten=False)
    obs, _ = env.reset(seed=1)
    enc: CharGridEncoder = env.encoder
    assert obs.shape == enc.shape == (7, 7, len(enc.vocab) + 1)
    assert set(enc.vocab) >= set("+-| 0PE")
    assert np.all(obs.sum(axis=-1) == 1)  # every cell of the 7x7 grid holds one known character
    base = _base(env)
    r, c, _ = base.state
    assert obs[2 * r + 1, 2 * c + 1, enc.vocab.index("P")] == 1


def test_board_block_and_rectangle_runs():
    texts = ["ab\ncd\nx: 1", "ef\ngh\nx: 22"]
    assert board_block(texts) == slice(0, 2)
    varying = ["####\n#  #\n####\nPlayer at (1,1)", "#####\n#   #\n#   #\n#####\nPlayer at (2,2)"]
    enc = CharGridEncoder.fit(varying)
    assert enc.run and enc.rows == 4 and enc.cols == 5
    assert enc.codes(varying[0])[3].tolist() == [-1] * 5  # the first map has 3 rows: the 4th is padding
    assert CharGridEncoder.fit(["a\nbb\nccc"]).lines == slice(None)  # no board: every line


def test_image_observation_resizes_and_renders():
    env = ImageObservation(DiscreteMoves(_step_env("Maze", obs="image", image_size=128)), size=48)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (48, 48, 3) and obs.dtype == np.uint8 and obs.min() < 100
    drawn = ImageObservation(DiscreteMoves(_step_env("Maze", obs="text")), size=48)  # no picture: renders
    obs2, _ = drawn.reset(seed=0)
    assert obs2.shape == (48, 48, 3) and obs2.std() > 0


def test_seed_pool_replays_its_puzzles():
    env = make_env("Maze", level=1, seeds=[7, 9])
    seen = set()
    env.reset(seed=0)
    for _ in range(12):
        seen.add(_base(env).puzzle.seed)
        env.reset()
    assert seen == {7, 9}
    assert isinstance(env.get_wrapper_attr("seeds"), list)
    assert SeedPool  # exported


def test_wrappers_in_sb3_vec_envs():
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    for cls in (DummyVecEnv, SubprocVecEnv):
        venv = make_vec_env(make_env, n_envs=2, seed=0, vec_env_cls=cls, env_kwargs={"env_id": "Maze"})
        obs = venv.reset()
        assert obs.shape == (2, *venv.observation_space.shape)
        masks = np.stack(venv.env_method("action_masks"))
        assert masks.shape == (2, venv.action_space.n) and masks.any(axis=1).all()
        for _ in range(5):
            obs, _, _, infos = venv.step(np.array([0, 1]))
        assert obs.shape[0] == 2 and all("command" in i for i in infos)
        venv.close()


def test_ppo_learns_a_tiny_budget_in_dummy_vec_env():
    pytest.importorskip("stable_baselines3")
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    venv = make_vec_env(make_env, n_envs=2, seed=0, env_kwargs={"env_id": "Maze", "shaping": True})
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps >= 256
    action, _ = model.predict(venv.reset(), deterministic=True)
    assert action.shape == (2,)
    venv.close()


def test_maskable_ppo_reads_the_masks():
    pytest.importorskip("sb3_contrib")
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.maskable.utils import get_action_masks
    from stable_baselines3.common.env_util import make_vec_env

    venv = make_vec_env(make_env, n_envs=2, seed=0, env_kwargs={"env_id": "Maze"})
    model = MaskablePPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=128)
    obs = venv.reset()
    masks = get_action_masks(venv)
    for _ in range(10):
        action, _ = model.predict(obs, action_masks=masks)
        assert all(masks[i, a] for i, a in enumerate(action))  # never an illegal move
        obs, _, _, _ = venv.step(action)
        masks = get_action_masks(venv)
    venv.close()


def test_recipe_main_writes_its_curve(tmp_path):
    pytest.importorskip("stable_baselines3")
    from training.sb3.train import main

    out = tmp_path / "run"
    argv = ["--env", "Helix/Maze-v0", "--level", "1", "--algo", "ppo", "--steps", "256", "--n-envs", "2",
            "--eval-episodes", "3", "--points", "2", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    rows = list(csv.DictReader((out / "curve.csv").open()))
    assert int(rows[0]["steps"]) == 0 and len(rows) >= 3
    assert {"success", "success_sampled", "train_success"} <= rows[0].keys()
    assert all(0.0 <= float(r["success"]) <= 1.0 for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert {"random_action", "random_legal"} <= summary["baseline"].keys()
    assert summary["actions"] == ["up", "down", "left", "right"]


def test_wrappers_import_without_torch_or_sb3():
    import subprocess
    import sys

    code = "import sys, training.sb3; print(sorted({'torch', 'stable_baselines3'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
