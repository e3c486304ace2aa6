"""What the store learns from its own sales: the sale facts, the owner's figures, the advisor."""
