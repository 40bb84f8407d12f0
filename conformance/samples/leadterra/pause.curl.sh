curl --request POST \
  --url https://app.leadterra.co/v1/campaigns/camp_123/pause \
  --header "Authorization: Bearer sk_live_YOUR_KEY" \
  --header "Content-Type: application/json"
