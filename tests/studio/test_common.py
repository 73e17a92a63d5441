"""What every tab shares: `keyed`, which wires a handler that returns (or yields) the outputs it sets,
by name, to the ordered outputs Gradio is given."""

import inspect

import gradio as gr
import pytest

from views.common import friendly, keyed


def _outputs() -> dict:
    return {"status": gr.Markdown(), "picture": gr.Image(), "files": gr.File(), "session": gr.State()}


def _returning(name: str, value):
    """A handler called `name` that returns `value`."""
    def handler():
        return value
    handler.__name__ = name
    return handler


def test_a_handler_sets_only_the_outputs_it_names_in_gradios_order():
    def on_thing(session, text):
        return {"session": session, "status": text.upper()}  # the picture and the files stay as they are

    outputs = _outputs()
    wired = keyed(on_thing, outputs)
    assert wired["outputs"] == list(outputs.values())
    assert wired["fn"]("s", "ok") == ("OK", gr.skip(), gr.skip(), "s")
    # Gradio reads the handler's name (its API name) and its parameters (inputs, gr.Progress) through the wrapper.
    assert wired["fn"].__name__ == "on_thing" and list(inspect.signature(wired["fn"]).parameters) == ["session", "text"]
    assert keyed(_returning("on_nothing", {}), outputs)["fn"]() == (gr.skip(),) * 4  # nothing named: nothing changes
    one = {"status": outputs["status"]}
    assert keyed(_returning("on_one", {"status": "alone"}), one)["fn"]() == "alone"  # one output: its value alone


def test_an_unknown_name_or_a_positional_return_is_refused():
    with pytest.raises(ValueError, match="on_typo set 'stauts', not among its outputs: status, picture, files, session"):
        keyed(_returning("on_typo", {"status": "x", "stauts": "y"}), _outputs())["fn"]()
    with pytest.raises(TypeError, match="on_tuple returned a tuple; a keyed handler returns a dict of output names"):
        keyed(_returning("on_tuple", ("x", None, None, "s")), _outputs())["fn"]()


def test_generators_are_converted_update_by_update_and_closed_with_the_page():
    closed = []

    def on_fit(session):
        try:
            yield {"status": "step 1"}
            yield {"status": "step 2", "picture": "frame"}
            yield {"status": "done", "files": ["a.gif"], "session": session}
        finally:
            closed.append(True)

    def on_typo():
        yield {"status": "step 1"}
        yield {"stauts": "step 2"}

    wired = keyed(on_fit, _outputs())
    assert inspect.isgeneratorfunction(wired["fn"])  # Gradio streams it
    assert list(wired["fn"]("s")) == [("step 1", gr.skip(), gr.skip(), gr.skip()),
                                      ("step 2", "frame", gr.skip(), gr.skip()),
                                      ("done", gr.skip(), ["a.gif"], "s")]
    updates = wired["fn"]("s")
    next(updates)
    closed.clear()
    updates.close()  # what Gradio does when the page is left mid-fit: the handler's own cleanup runs at once
    assert closed == [True]
    typo = keyed(on_typo, _outputs())["fn"]()
    assert next(typo) == ("step 1", gr.skip(), gr.skip(), gr.skip())
    with pytest.raises(ValueError, match="on_typo set 'stauts', not among its outputs"):
        next(typo)


def test_a_friendly_failure_leaves_every_output_as_it_was():
    @friendly
    def on_fit(session):
        yield {"status": "starting"}
        raise ValueError("no clip chosen")

    @friendly
    def on_load(session):
        raise ValueError("sigma must be a number")

    with pytest.warns(UserWarning, match="no clip chosen"):
        assert list(keyed(on_fit, _outputs())["fn"]("s")) == [("starting", gr.skip(), gr.skip(), gr.skip()),
                                                               (gr.skip(),) * 4]
    with pytest.warns(UserWarning, match="sigma must be a number"):
        assert keyed(on_load, _outputs())["fn"]("s") == (gr.skip(),) * 4


def test_gradio_takes_the_wiring_as_it_took_the_positional_lists():
    def on_fit(session):
        yield {"status": "done", "session": session}

    with gr.Blocks() as demo:
        outputs = _outputs()
        gr.Button().click(inputs=[outputs["session"]], **keyed(on_fit, outputs), api_name="fit")
    (fn,) = demo.fns.values()
    assert fn.api_name == "fit" and fn.types_generator and fn.outputs == list(outputs.values())
