curl -X POST https://data.leadlex.com/functions/v1/api-gateway/v1/campaigns/cmp_abc123/pause \
  -H "Authorization: Bearer wbk_your_api_key_here"
