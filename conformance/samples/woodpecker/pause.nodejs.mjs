const pauseCampaign = async (campaignId, apiKey) => {
const url = `https://api.woodpecker.co/rest/v2/campaigns/${campaignId}/pause`;
const response = await fetch(url, {
method: "POST",
headers: {
"x-api-key": apiKey,
},
});
return await response.json();
};
try {
const result = await pauseCampaign(12345, "YOUR_API_KEY");
console.log(result);
} catch (error) {
console.error("Error:", error);
}
