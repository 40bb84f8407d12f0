import requests

API_KEY = "wbk_your_api_key_here"
BASE_URL = "https://data.leadlex.com/functions/v1/api-gateway"
CAMPAIGN_ID = "cmp_abc123"

response = requests.post(
    f"{BASE_URL}/v1/campaigns/{CAMPAIGN_ID}/pause",
    headers={"Authorization": f"Bearer {API_KEY}"},
)
