curl --request POST \
--url "https://api.woodpecker.co/rest/v2/campaigns/{campaign_id}/pause" \
--header "x-api-key: {YOUR_API_KEY}"
