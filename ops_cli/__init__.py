"""``python -m ops_cli``: the operator CLI (training, registry, endpoint). Runs on people's machines and
in CI with boto3; never shipped in the model image or the Lambda assets."""
