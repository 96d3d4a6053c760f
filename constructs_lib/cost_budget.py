"""A daily cost budget for one environment (AWS Budgets, notified on the alert topic)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct


class CostBudget(Construct):
    """Daily COST budget filtered on the ``environment`` cost-allocation tag (activate the tag in
    the Billing console once per account, or the filter matches nothing); an ACTUAL notification at
    100 % goes to the alert topic, whose key and policy let budgets.amazonaws.com publish.
    With ``estimated_charges_alarm_usd`` (only where the AWS/Billing metrics exist: us-east-1) an
    alarm on the account's month-to-date EstimatedCharges too: account-wide, a second line of defence.
    Exposes ``budget``, ``budget_name`` and ``charges_alarm`` (or None).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        budget_name: str,
        daily_limit_usd: float,
        alert_topic: sns.ITopic,
        tag_key: str = "environment",
        tag_value: str,
        estimated_charges_alarm_usd: float | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.budget_name = budget_name
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=budget_name,
                budget_type="COST",
                time_unit="DAILY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=daily_limit_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{tag_key}${tag_value}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type="ACTUAL",
                        comparison_operator="GREATER_THAN",
                        threshold=100,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(
                            subscription_type="SNS", address=alert_topic.topic_arn
                        )
                    ],
                )
            ],
        )
        self.charges_alarm: cw.Alarm | None = None
        if estimated_charges_alarm_usd is not None:
            self.charges_alarm = cw.Alarm(
                self,
                "EstimatedCharges",
                alarm_description=(
                    f"Account month-to-date estimated charges above {estimated_charges_alarm_usd:g} USD"
                ),
                metric=estimated_charges(),
                threshold=estimated_charges_alarm_usd,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            self.charges_alarm.add_alarm_action(cw_actions.SnsAction(alert_topic))


def estimated_charges() -> cw.Metric:
    """Billing publishes this a few times a day, in us-east-1 only (billing alerts must be enabled)."""
    return cw.Metric(
        namespace="AWS/Billing",
        metric_name="EstimatedCharges",
        dimensions_map={"Currency": "USD"},
        statistic=cw.Stats.MAXIMUM,
        period=Duration.hours(6),
        label="estimated charges (USD, month to date)",
    )
