"""Random laptops the API accepts, shared by the model and tree-path tests."""

from __future__ import annotations

import numpy as np

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELDS, PROCESSORS_BY_BRAND


def random_laptops(n: int, seed: int) -> list[LaptopSpec]:
    """Random laptops the API accepts: any allowed value (and "not informed") per field, a
    processor its brand makes."""
    rng = np.random.default_rng(seed)
    laptops = []
    for _ in range(n):
        values = {f.name: f.form_values[rng.integers(len(f.form_values))] for f in FIELDS}
        makes = PROCESSORS_BY_BRAND[values["processor_brand"]]
        values["processor_name"] = makes[rng.integers(len(makes))]
        laptops.append(LaptopSpec(**values))
    return laptops
