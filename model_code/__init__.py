"""Runtime code of the sentiment model: training, evaluation, inference and serving.

The same modules run on a laptop and inside the SageMaker container. Nothing here imports CDK.
"""
