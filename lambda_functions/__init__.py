"""Lambda runtime code. Each sub-package is one function; nothing here imports CDK."""
