"""Progress bars of the long management commands (seed_demo, import_wordpress): tqdm on stderr."""

from tqdm import tqdm


class _CommandStream:
    """A command's stderr as tqdm's file: redrawn in place (no newline added), never styled as an error."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, style_func=str, ending="")

    def __getattr__(self, name):  # flush, isatty, encoding, fileno: the stream's own
        return getattr(self.wrapper, name)


def command_progress(command, *, total: int, desc: str, unit: str, verbosity: int) -> tqdm:
    """A bar with rate and time left on ``command``'s stderr; none off a terminal or at verbosity 0."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=_CommandStream(command.stderr),
        disable=True if verbosity == 0 else None,
    )
