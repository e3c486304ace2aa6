"""Data preparation, training and the model artifact (MLflow tracking wraps these)."""
