"""The purchase: from the customer's yes to a laptop the store owns (issue 23)."""
