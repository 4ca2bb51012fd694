#!/usr/bin/env bash
# Creates the first admin of a deployed stack: a Cognito user (Cognito e-mails a temporary
# password) in the `admin` group. Usage: scripts/first-admin.sh EMAIL [STACK_NAME]
# Needs the AWS CLI with credentials for the stack's account and region.
set -euo pipefail
email=${1:?usage: scripts/first-admin.sh EMAIL [STACK_NAME]}
stack=${2:-mlm}
pool=$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='UserPoolId'].OutputValue" --output text)
if [ -z "$pool" ] || [ "$pool" = None ]; then
  echo "error: stack $stack has no UserPoolId output (deployed? right region: AWS_REGION?)" >&2
  exit 1
fi
aws cognito-idp admin-create-user --user-pool-id "$pool" --username "$email" \
  --user-attributes Name=email,Value="$email" Name=email_verified,Value=true \
  --desired-delivery-mediums EMAIL >/dev/null
aws cognito-idp admin-add-user-to-group --user-pool-id "$pool" --username "$email" --group-name admin
echo "created admin $email in $pool; Cognito has e-mailed a temporary password"
