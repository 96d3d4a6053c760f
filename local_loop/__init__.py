"""The platform's whole loop on one machine, without AWS: ``make demo`` / ``python -m local_loop``.

A moto server stands in for AWS. The synthesized dev templates in ``cdk.out`` say which buckets, topic,
parameters, functions and EventBridge rules exist and with which settings (``cloudformation.py`` reads
them, ``standin.py`` creates them in moto); the product's real handlers run as subprocesses with the
environment their template gives them (``lambdas.py``); events reach them only through the templates'
rule patterns (``eventbus.py``); training jobs run the container's ``train`` entry point the way
SageMaker would (``training.py``). Nothing here is imported by the product.
"""
