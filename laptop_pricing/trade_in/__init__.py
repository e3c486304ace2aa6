"""The store's side: condition questions, policy, offer, the trade-in quote and the customer's
decision."""
