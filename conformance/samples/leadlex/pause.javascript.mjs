const CAMPAIGN_ID = 'cmp_abc123';

await fetch(
  `https://data.leadlex.com/functions/v1/api-gateway/v1/campaigns/${CAMPAIGN_ID}/pause`,
  {
    method: 'POST',
    headers: { 'Authorization': 'Bearer wbk_your_api_key_here' },
  }
);
