curl --request GET \
  --url 'https://seamless-sandbox-dev-cm.oriserve.com/pauseTheCampaign/550e8400-e29b-41d4-a716-446655440000' \
  --header 'x-api-key: your-api-key-here'
