#!/bin/sh
# GitHub issues for the open actions. From the post-mortem “Payment captures delayed by a backlog on the payment-capture queue” of 2026-11-26.
# Written by pmconsole. Read it, then run it where `gh repo view` shows the repository
# (or add --repo OWNER/REPO to each command). It stops at the first command that fails.
set -eu
gh issue create --title 'Fail worker startup when a renamed config key is set' --body 'Keep a list of renamed and removed keys; refuse to start when an old name is set and the new one is not.

Success criterion: A staging deploy with only DB_POOL_MAX set fails its canary within 5 minutes; 0 renamed keys read silently in the next 3 releases
Due: 2026-12-10
Staging check: 2026-12-08
Contributing factors: A renamed config key is read silently: the worker falls back to a default when only the old name is set; The release checklist has no step for renamed or removed configuration keys; The canary checks only /healthz, not consumer throughput or queue depth
Owner: Jonas Weber

From the post-mortem “Payment captures delayed by a backlog on the payment-capture queue” of 2026-11-26.
pmconsole action: a-config-keys' --label post-mortem
gh issue create --title 'Page on-call when capture throughput halves' --body 'Page when consumer throughput is under 50% of its 1-hour baseline for 5 minutes; route the latency alert to the pager during business hours.

Success criterion: Replaying the 23 Nov metrics pages within 10 minutes of 13:50 UTC (was 47 minutes)
Due: 2026-12-10
Contributing factors: The capture latency alert is routed to a non-paging channel that nobody watches during the afternoon; The queue depth page uses a fixed 80,000-message threshold held for 10 minutes, set for last year'"'"'s traffic; No alert watches consumer throughput, the first signal to change
Owner: Amara Okafor

From the post-mortem “Payment captures delayed by a backlog on the payment-capture queue” of 2026-11-26.
pmconsole action: a-throughput-page' --label post-mortem
gh issue create --title 'Add backoff with jitter and a 90 requests/s cap to capture calls' --body 'Exponential backoff with jitter on HTTP 429, and a shared rate limit that holds however many pods run.

Success criterion: A load test at 2x peak with 24 pods keeps the provider 429 rate under 1%
Due: 2026-12-10
Contributing factors: The capture client retries a 429 three times within 2 seconds, without backoff or jitter; Scaling consumers has no ceiling tied to the provider'"'"'s rate limit; The provider'"'"'s limit of 100 requests/s per account is written only in the contract, not in the runbook
Owner: Lin Chen

From the post-mortem “Payment captures delayed by a backlog on the payment-capture queue” of 2026-11-26.
pmconsole action: a-backoff' --label post-mortem
gh issue create --title 'Add a '"'"'consumers healthy but slow'"'"' section to the runbook' --body 'Covers pool size, recent deploys and provider limits; add deploy annotations and a pool-size metric to the queue dashboard.

Success criterion: In one game day, 2 on-call engineers from other teams each find the cause in under 15 minutes
Due: 2026-12-10
Contributing factors: The payment-capture runbook has no section for '"'"'consumers healthy but slow'"'"'; it starts with the database; Deploys are not annotated on the queue dashboard, so the 13:41 release was not visible next to the drop; The pool size appears only in a startup log line, not as a metric; Knowledge of the worker'"'"'s configuration sits with two engineers on one team; the on-call rotation spans four teams
Owner: Tomás Novak

From the post-mortem “Payment captures delayed by a backlog on the payment-capture queue” of 2026-11-26.
pmconsole action: a-runbook' --label post-mortem
