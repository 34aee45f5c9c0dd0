"""Phrase banks of the rule-based skeleton: several wordings per step kind, one picked per use by the instance's rng.

Placeholders: `{Note}` is the solver's note with a capital first letter, `{note}` the same note where it can
start a clause (lowercased only when that is safe: "Settle node 3" -> "settle node 3", never "A=3" or "E"),
`{move}` the step-mode command, `{answer}` the final answer, `{goal}` the task's one-line answer description.
A template whose placeholders an event cannot fill is skipped for that event.
"""

from __future__ import annotations

RULES_OPENERS = (
    "Let me start by restating the problem in my own words.",
    "First, let me make sure I understand what is being asked.",
    "Okay, what does this task want from me? Let me restate the rules.",
    "Before touching the puzzle, the rules and the goal.",
    "Let me begin with the rules, so I know exactly what counts as a solution.",
    "I'll restate the task first.",
)

GOAL_LINES = (
    "So the goal is to find {goal}.",
    "What I have to produce: {goal}.",
    "The answer has to be {goal}.",
    "In the end I must give {goal}.",
    "Goal: {goal}.",
)

READ_OPENERS = (
    "Now let me read the picture into an explicit state.",
    "Next, I transcribe what the image shows.",
    "Let me read the image carefully and write the position down.",
    "Now the picture: I'll turn it into something I can reason about exactly.",
    "Reading the image step by step.",
    "Let me look at the image and write down everything it shows.",
)

LEGEND_LEADS = (
    "How the picture encodes things: {text}",
    "About the drawing: {text}",
    "{text}",
    "The image conventions: {text}",
)

READ_LEADS = (
    "What I see: {Note}.",
    "{Note}.",
    "Reading it off: {note}.",
    "So the instance is: {note}.",
)

STATE_LEADS_INITIAL = (
    "Written out, the starting state is:",
    "The initial state, explicitly:",
    "Here is the start position as text:",
    "Transcribed:",
    "So the state I start from is:",
)

SELF_CHECK_LEADS = (
    "Let me double-check the reading:",
    "Quick check of what I read:",
    "Sanity check on the transcription:",
    "Before going on, I verify the key facts:",
)

SELF_CHECK_ITEMS = (
    "- {item}: confirmed",
    "- {item} ✓",
    "- {item}: yes, that matches the picture",
    "- {item}: checked",
)

SEARCH_OPENERS = (
    "Now the search. I'll make a choice where nothing is forced, and back up as soon as something breaks a rule.",
    "Let me work towards a solution, trying options and backtracking when a branch fails.",
    "Time to solve it. Where I have to guess, I'll guess, and undo the guess if it leads to a contradiction.",
    "Now I explore. Each tentative step gets checked against the rules right away.",
    "Let me start searching, keeping track of where I made choices so I can come back to them.",
)

COMPUTE_OPENERS = (
    "Now the computation, step by step.",
    "Let me work it out one step at a time.",
    "Now I compute the result carefully, step by step.",
    "Let me go through the computation in order.",
    "Working it out step by step:",
)

DEDUCE = (
    "{Note}.",
    "{Note}.",
    "Next: {note}.",
    "Then: {note}.",
    "Forced: {note}.",
    "Now: {note}.",
)
DEDUCE_PLAIN = ("{Note}.",)  # numbered steps ("Step 3: ...") carry no extra lead
DEDUCE_MOVE_PLAIN = ("{Note}. ({move})", "{Note} -> {move}.", "{Note}; that is the move `{move}`.")
DEDUCE_MOVE = (
    "{Note}. ({move})",
    "{Note} -> {move}.",
    "Next: {note}, i.e. `{move}`.",
    "{Note}; that is the move `{move}`.",
    "Step `{move}`: {note}.",
)

TRY = (
    "Let me try this: {note}.",
    "Tentatively, {note}.",
    "Nothing is forced here, so I guess: {note}.",
    "I'll try something and see where it leads: {note}.",
    "A choice: {note}.",
    "Try: {Note}.",
)
TRY_MOVE = (
    "Let me try `{move}`: {note}.",
    "Tentative move `{move}`: {note}.",
    "I'll guess `{move}` and see where it leads: {note}.",
    "Try `{move}`. {Note}.",
    "A choice point. I go with `{move}`: {note}.",
    "Maybe `{move}`? {Note}.",
)

DEAD_END = (
    "That fails: {note}.",
    "Contradiction: {note}.",
    "Dead end. {Note}.",
    "Hmm, this cannot work: {note}.",
    "No good. {Note}.",
    "Wait, that does not work: {note}.",
    "This branch is dead: {note}.",
)

BACKTRACK = (
    "Backtrack: {note}.",
    "So I step back. {Note}.",
    "Going back: {note}.",
    "I undo that. {Note}.",
    "Let me revise: {note}.",
    "Back up: {note}.",
)

STATE_LEADS = (
    "Now the state is:",
    "Current state:",
    "The position now:",
    "State after this step:",
    "Where things stand:",
    "Now I have:",
)
STATE_LEADS_BACK = (
    "Back at this state:",
    "So I am back at:",
    "The state after undoing:",
    "Restored position:",
)
STATE_LEADS_FINAL = (
    "The final state:",
    "At the end:",
    "Finally the state is:",
)

CHECK_OPENERS = (
    "Finally, let me check the answer against the rules.",
    "Before answering, a last verification.",
    "Let me double-check the result against every rule.",
    "Now a final check.",
    "Let me verify before I commit to this answer.",
)
CHECK_LINES = (
    "{Note}.",
    "Check: {note}.",
    "Verified: {note}.",
    "Confirmed: {note}.",
)
FORMAT_LINES = (
    "The required format is {goal}, and `{answer}` is written that way.",
    "Format check: the answer must be {goal}; `{answer}` fits.",
    "It has the right form ({goal}).",
)
CONCLUSIONS = (
    "So the answer is {answer}.",
    "Everything is consistent, so my answer is {answer}.",
    "All rules hold. The answer: {answer}.",
    "Therefore the final answer is {answer}.",
)

SKIPPED = (
    "(I go on the same way for {n} more steps: {counts}. I won't write each of them out.)",
    "({n} further steps follow the same pattern ({counts}); I skip writing them all out.)",
)
