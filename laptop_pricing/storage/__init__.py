"""One store layer: objects under a prefix in a local folder or an S3 bucket, and how a day is laid
out and read."""
