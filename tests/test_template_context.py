"""A page's context holds the globals Jinja's own templates would give it, in the same order
of precedence, with globals added to the environment later seen too."""

from jinja2 import DictLoader, Environment, Template

from portal.template_context import FlatGlobalsTemplate


def environments() -> tuple[Environment, Environment]:
    ours, jinjas = Environment(autoescape=True), Environment(autoescape=True)
    ours.template_class = FlatGlobalsTemplate
    for env in (ours, jinjas):
        env.globals.update(site="Saldo", shadowed="environment")
    return ours, jinjas


SOURCE = "{{ site }} {{ shadowed }} {{ page }} {{ later }}"


def test_the_context_holds_what_jinjas_would():
    ours, jinjas = environments()
    mine = ours.from_string(SOURCE, globals={"shadowed": "template", "page": "bill"})
    theirs = jinjas.from_string(SOURCE, globals={"shadowed": "template", "page": "bill"})
    assert isinstance(mine, FlatGlobalsTemplate) and type(theirs) is Template
    for env in (ours, jinjas):
        env.globals["later"] = "added after loading"
    assert mine.render() == theirs.render() == "Saldo template bill added after loading"
    assert mine.render(page="checkout") == "Saldo template checkout added after loading"
    context = mine.new_context({"page": "verify"})
    assert context.globals_keys == theirs.new_context({"page": "verify"}).globals_keys
    assert context.get_all() == theirs.new_context({"page": "verify"}).get_all()


def test_included_and_imported_templates_see_the_same_names():
    ours, _ = environments()
    ours.loader = DictLoader(
        {
            "macros.html": "{% macro name() %}{{ site }}{% endmacro %}",
            "part.html": "{{ site }}/{{ page }}",
            "page.html": '{% import "macros.html" as m %}{{ m.name() }} {% include "part.html" %}',
        }
    )
    assert ours.get_template("page.html").render(page="bill") == "Saldo Saldo/bill"
