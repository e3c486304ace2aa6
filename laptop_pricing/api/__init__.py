"""The pricing API: the Lambda handler and a local server that behaves like API Gateway."""
