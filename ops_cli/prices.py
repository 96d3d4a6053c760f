"""Prices the cost estimate uses: AWS list prices, on-demand, us-east-1, USD.

Source: the AWS pricing pages (aws.amazon.com/sagemaker/pricing, /s3/pricing, /cloudwatch/pricing,
/lambda/pricing, /kms/pricing, /ecr/pricing, /aws-cost-management/aws-budgets/pricing) as quoted in
issue 9 on 2026-11-29 and cross-checked where the documentation search had the page; a price that
could not be checked says so. Prices change: update this table with its date, not the code.
"""

from __future__ import annotations

REGION = "us-east-1"
AS_OF = "2026-11-29"
HOURS_PER_MONTH = 730

# SageMaker real-time inference and training, per instance-hour.
INFERENCE_PER_HOUR = {"ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.c5.large": 0.102, "ml.c5.xlarge": 0.204}
TRAINING_PER_HOUR = {"ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.c5.xlarge": 0.204}
# Managed spot training: AWS advertises "up to 90 %"; 70 % is a typical observed saving (assumption).
SPOT_SAVING = 0.70
# Serverless inference: per GB-second of compute (memory x duration) and per GB in + out.
SERVERLESS_PER_GB_SECOND = 0.00002
SERVERLESS_PER_GB_PROCESSED = 0.016
# Storage.
S3_STANDARD_PER_GB_MONTH = 0.023
ECR_PER_GB_MONTH = 0.10
# CloudWatch: an alarm is billed per metric it evaluates (a metric-math alarm on 3 metrics = 3).
ALARM_METRIC_PER_MONTH = 0.10
DASHBOARD_PER_MONTH = 3.00  # the first 3 dashboards of an account are free; not assumed here
CUSTOM_METRIC_PER_MONTH = 0.30
LOGS_INGESTED_PER_GB = 0.50
# Lambda (x86_64; arm64 is 20 % cheaper per GB-second).
LAMBDA_PER_GB_SECOND_X86 = 0.0000166667
LAMBDA_PER_GB_SECOND_ARM = 0.0000133334
LAMBDA_PER_MILLION_REQUESTS = 0.20
KMS_KEY_PER_MONTH = 1.00
# AWS Budgets: the first two budgets of an account are free; then 0.02 USD per budget-day (not checked).
BUDGET_PER_MONTH_AFTER_FREE = 0.62
