import requests

campaign_id = "550e8400-e29b-41d4-a716-446655440000"
url = f"https://seamless-sandbox-dev-cm.oriserve.com/pauseTheCampaign/{campaign_id}"

headers = {
    "x-api-key": "your-api-key-here"
}

response = requests.get(url, headers=headers)
print(response.json())
