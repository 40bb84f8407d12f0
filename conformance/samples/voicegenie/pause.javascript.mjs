const campaignId = '550e8400-e29b-41d4-a716-446655440000';

const options = {
  method: 'GET',
  headers: {
    'x-api-key': 'your-api-key-here'
  }
};

fetch(`https://seamless-sandbox-dev-cm.oriserve.com/pauseTheCampaign/${campaignId}`, options)
  .then(response => response.json())
  .then(data => console.log(data))
  .catch(err => console.error(err));
