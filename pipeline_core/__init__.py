"""Pure request builders and registry queries shared by the pipeline Lambdas and the operator CLI, so a
job started by hand and one started by a trigger look the same.

Standard library only at import time (boto3 clients are passed in): the Lambda assets ship this package.
"""
