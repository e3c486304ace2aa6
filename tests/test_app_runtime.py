"""The app runs with only what ``requirements.txt`` installs (what Streamlit Cloud installs).

The suite's environment also has scikit-learn, MLflow and the test tools, so an undeclared
import would pass every other test. Here a fresh interpreter can import only the distributions a
fresh ``pip install -r requirements.txt`` brings (``tests.importable``): the clerk's page prices
a laptop, with its explanation, comparables and PDF, and scikit-learn is neither needed nor
loaded (the shipped model is LightGBM's own text). A scikit-learn model in ``model/`` is then a
clear ``ArtifactError`` naming what to install, not a traceback from a pickle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laptop_pricing.pricing.artifact import (
    BOOSTER_FILE,
    PICKLE_FILE,
    ArtifactError,
    load_artifact,
    read_metadata,
    write_artifact,
)
from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.training.prepare import data_hash, prepare_table
from laptop_pricing.training.train import build_metadata, compare_families, fit_final
from tests.importable import installable_from, run_probe

APP_PROBE = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120)
at.session_state["laptop_form_values"] = {"brand": "dell", "processor_brand": "intel",
                                          "processor_name": "core i5", "ram_gb": 8, "ssd": 256}
at.run()
assert not at.exception, [e.value for e in at.exception]
from components.condition_form import widget_key
from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY, Condition
for key, value in Condition.best().as_dict().items():  # an offer, so a PDF to offer
    next(r for r in at.radio if r.key == widget_key(QUESTIONS_BY_KEY[key])).set_value(value)
    at.run()
at.button(key="submit").click()
at.run()
assert not at.exception, [e.value for e in at.exception]
assert not at.error, [e.value for e in at.error]
from components.offer_card import MARKET_LABEL
shown = [str(m.value) for m in at.markdown if str(m.value).startswith(MARKET_LABEL)]
fpdf_on_render = "fpdf" in sys.modules  # the PDF is built when the clerk clicks, not before
from components.quote_download import QUOTE_DOCUMENT_KEY
from laptop_pricing.trade_in.quote_pdf import quote_pdf
pdf = quote_pdf(at.session_state[QUOTE_DOCUMENT_KEY]["quote_pdf"])
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
engine = PricingEngine.load()
quote = engine.price_with_explanation(LaptopSpec.default(), comparables=True)
print(json.dumps({
    "shown": shown,
    "price": quote.price,
    "contributions": len(quote.explanation.contributions),
    "comparables": len(quote.comparables),
    "downloads": [b.key for b in at.get("download_button")],
    "fpdf_on_render": fpdf_on_render,
    "pdf": pdf[:5].decode(),
    "sklearn": "sklearn" in sys.modules,
    "joblib": "joblib" in sys.modules,
}))
"""

LOAD_PROBE = """
from laptop_pricing.pricing.artifact import ArtifactError, load_artifact
try:
    load_artifact(sys.argv[2])
except ArtifactError as error:
    print(json.dumps({"error": str(error)}))
else:
    print(json.dumps({"error": None}))
"""


def _run(code: str, *args: str, cwd: Path, env_extra: dict[str, str]) -> dict:
    assert "scikit-learn" not in installable_from(REPO_ROOT / "requirements.txt")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "HOME": str(cwd), **env_extra}
    return run_probe(
        code, REPO_ROOT / "requirements.txt", *args, env=env, cwd=REPO_ROOT, timeout=240
    )


def test_the_shipped_model_is_the_booster_text():
    metadata = read_metadata()
    assert metadata.model_file == BOOSTER_FILE
    assert (REPO_ROOT / "model" / BOOSTER_FILE).read_text(encoding="utf-8").startswith("tree\n")
    assert not (REPO_ROOT / "model" / PICKLE_FILE).exists()


def test_the_app_prices_with_only_requirements_txt_installed(tmp_path):
    probe = _run(APP_PROBE, cwd=tmp_path, env_extra={"PREDICTIONS_DIR": str(tmp_path / "log")})
    assert len(probe["shown"]) == 1 and "R$" in probe["shown"][0]
    assert probe["price"] > 0 and probe["contributions"] > 0 and probe["comparables"] >= 3
    assert "quote_pdf" in probe["downloads"] and probe["fpdf_on_render"] is False
    assert probe["pdf"] == "%PDF-"  # and the renderer runs on what requirements.txt installs
    assert probe["sklearn"] is False and probe["joblib"] is False


def test_a_scikit_learn_model_without_scikit_learn_is_a_clear_error(tmp_path):
    budget = {"n_splits": 3, "n_repeats": 1, "seed": 0}
    table = prepare_table()
    results = compare_families(table, ["ridge"], **budget)
    final = fit_final(table, "ridge", cv_result=results[0], **budget)
    metadata = build_metadata(
        final.model, table, "ridge", results, final.price_range, data_hash(), **budget
    )
    write_artifact(final.model, metadata, tmp_path)
    assert read_metadata(tmp_path).model_file == PICKLE_FILE
    assert load_artifact(tmp_path).model.predict  # loads where scikit-learn is installed

    probe = _run(LOAD_PROBE, str(tmp_path), cwd=tmp_path, env_extra={})
    assert probe["error"] and "requirements-training.txt" in probe["error"]
    assert PICKLE_FILE in probe["error"]


def test_a_model_file_the_metadata_cannot_name_is_refused(tmp_path):
    metadata = json.loads((REPO_ROOT / "model" / "model_metadata.json").read_text())
    (tmp_path / "model_metadata.json").write_text(
        json.dumps({**metadata, "model_file": "../../etc/passwd"})
    )
    with pytest.raises(ArtifactError, match="'model_file'"):
        load_artifact(tmp_path)
