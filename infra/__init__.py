"""Deployment declarations (resources.json) and the build step of the AWS SDK layer (sdk_layer.py)."""
