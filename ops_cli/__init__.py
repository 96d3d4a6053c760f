"""Operating the model on AWS: the people's CLI (``python -m ops_cli``) and the request builders
that the CLI and the pipeline Lambdas share, so a job started by hand and one started by a trigger look
the same.

Modules here import only the standard library at import time (boto3 clients are passed in), because
the Lambda asset imports them and has no third-party packages besides Powertools and boto3.
"""
