"""The one-line file errors of the batch commands name the file once."""

from __future__ import annotations

from langassist.cli.messages import file_error


def test_the_file_is_named_once() -> None:
    assert file_error("/calls/a.wav", "a.wav is empty (0 bytes)") == "[bold red]error:[/] /calls/a.wav is empty (0 bytes)"
    assert file_error("/calls/a.wav", "a.wav: no such file") == "[bold red]error:[/] /calls/a.wav: no such file"
    assert file_error("a.wav", "a.wav: no such file") == "[bold red]error:[/] a.wav: no such file"
    assert file_error("/calls/a.wav", "decoding failed") == "[bold red]error:[/] /calls/a.wav: decoding failed"
    # A name that only begins the message's first word is not the file.
    assert file_error("/calls/a", "alpha failed") == "[bold red]error:[/] /calls/a: alpha failed"
    assert file_error("x.json", "bad [tag]") == "[bold red]error:[/] x.json: bad \\[tag]"  # markup escaped
