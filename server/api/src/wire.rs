//! Wire helpers shared by every face: a reply type that can carry any
//! status and headers while documenting its success schema, a lenient JSON
//! body extractor, and the ISO 8601 timestamp type.

use std::marker::PhantomData;

use chrono::{DateTime, SecondsFormat, Utc};
use dropshot::{
    ApiEndpointBodyContentType, ApiEndpointResponse, Body, ExclusiveExtractor, ExtractorMetadata,
    HttpError, HttpResponse, HttpResponseHeaders, HttpResponseOk, RequestContext, ServerContext,
    TypedBody, UntypedBody,
};
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A response of any status, with any headers, whose OpenAPI description is
/// a `200` carrying `T` with headers `H`.
///
/// Vendor faces answer their documented errors themselves (after auth, so
/// that rate-limit headers appear on every answer); the error *schema* is
/// documented through each face's error type, so the document stays exact.
pub struct Reply<T, H = dropshot::NoHeaders> {
    status: StatusCode,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    _documents: PhantomData<fn() -> (T, H)>,
}

impl<T, H> Reply<T, H> {
    /// A `200` with `value` as its JSON body.
    pub fn ok(value: &T) -> Self
    where
        T: Serialize,
    {
        Self::json(StatusCode::OK, value)
    }

    /// Any status with any serializable body.
    pub fn json(status: StatusCode, value: &impl Serialize) -> Self {
        let body = serde_json::to_vec(value).expect("wire types always serialize");
        Self {
            status,
            headers: HeaderMap::new(),
            body: Some(body),
            _documents: PhantomData,
        }
    }

    /// Any status with no body at all (no `null`, no `{}`).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: None,
            _documents: PhantomData,
        }
    }

    /// Adds headers (later values replace earlier ones of the same name).
    pub fn with_headers(
        mut self,
        headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
    ) -> Self {
        for (name, value) in headers {
            self.headers.insert(name, value);
        }
        self
    }

    /// The status this reply will be sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP response: the status, the headers, and the JSON body (with
    /// its `Content-Type`) when there is one.
    pub fn into_response(self) -> Response<Body> {
        let has_body = self.body.is_some();
        let mut response = Response::new(match self.body {
            Some(bytes) => Body::from(bytes),
            None => Body::empty(),
        });
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.extend(self.headers);
        if has_body {
            headers.append(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(dropshot::CONTENT_TYPE_JSON),
            );
        }
        response
    }

    /// The same reply, documented as another type.
    pub fn retype<U, G>(self) -> Reply<U, G> {
        Reply {
            status: self.status,
            headers: self.headers,
            body: self.body,
            _documents: PhantomData,
        }
    }
}

/// A face's error type for requests refused before any handler sees them
/// (unknown route, wrong method, oversized body) or that an extractor could
/// not read: built from dropshot's `HttpError`, answered in the face's own
/// shape and vocabulary.
pub trait Rejection: From<HttpError> + dropshot::HttpResponseError + Serialize {
    /// The same answer with its timestamps at `now_ms` on the sandbox clock
    /// (a face whose errors carry no timestamp keeps the default).
    fn at(self, _now_ms: i64) -> Self {
        self
    }

    /// The HTTP response.
    fn into_response(self) -> Response<Body> {
        let status = self.status_code().as_status();
        Reply::<()>::json(status, &self).into_response()
    }
}

/// The status of a vendor error value whose `status` field holds it; an
/// impossible one (not 4xx/5xx) answers 400.
pub fn error_status(status: u16) -> dropshot::ErrorStatusCode {
    dropshot::ErrorStatusCode::from_u16(status).unwrap_or(dropshot::ErrorStatusCode::BAD_REQUEST)
}

/// dropshot's `HttpResponseError` for vendor error types that carry their
/// status in a `status: u16` field.
macro_rules! status_field_error {
    ($($error:ty),+) => {$(
        impl dropshot::HttpResponseError for $error {
            fn status_code(&self) -> dropshot::ErrorStatusCode {
                $crate::wire::error_status(self.status)
            }
        }
    )+};
}
pub(crate) use status_field_error;

/// A reply documented as a `200` with no body at all (Woodpecker's pause):
/// errors may still carry a body.
pub struct EmptyReply(pub Reply<()>);

impl<T, H> From<Reply<T, H>> for EmptyReply {
    fn from(reply: Reply<T, H>) -> Self {
        EmptyReply(reply.retype())
    }
}

impl HttpResponse for EmptyReply {
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        self.0.to_result()
    }

    fn response_metadata() -> ApiEndpointResponse {
        let mut metadata =
            <dropshot::HttpResponseUpdatedNoContent as HttpResponse>::response_metadata();
        metadata.success = Some(StatusCode::OK);
        metadata.description = Some("successful operation, no body".to_string());
        metadata
    }

    fn status_code(&self) -> StatusCode {
        self.0.status()
    }
}

impl<T, H> HttpResponse for Reply<T, H>
where
    T: JsonSchema + Serialize + Send + Sync + 'static,
    H: JsonSchema + Serialize + Send + Sync + 'static,
{
    fn to_result(self) -> Result<Response<Body>, HttpError> {
        Ok(self.into_response())
    }

    fn response_metadata() -> ApiEndpointResponse {
        HttpResponseHeaders::<HttpResponseOk<T>, H>::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        self.status
    }
}

/// A JSON request body that is read but not yet parsed: the handler parses
/// it after authenticating, so that a malformed body from an unknown caller
/// gets a 401 and every parse failure comes out in the face's error shape.
///
/// Documented in OpenAPI exactly like `TypedBody<T>`, except that the body is
/// marked optional when `OPTIONAL` is true. An absent body, an empty body
/// (even with `Content-Type: application/json`) and whitespace are "no body".
pub struct JsonInput<T, const OPTIONAL: bool = false> {
    bytes: Vec<u8>,
    _parses_to: PhantomData<fn() -> T>,
}

/// Why a request body could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyProblem {
    /// The body is required and there was none.
    Missing,
    /// The body is not valid JSON, or does not match the expected shape.
    Invalid(String),
}

impl std::fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyProblem::Missing => f.write_str("request body is required"),
            BodyProblem::Invalid(detail) => write!(f, "invalid request body: {detail}"),
        }
    }
}

impl<T: DeserializeOwned + JsonSchema + 'static, const OPTIONAL: bool> JsonInput<T, OPTIONAL> {
    /// The raw bytes as received.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// True when no body (or only whitespace) was sent.
    pub fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// Parses the body; `Ok(None)` when none was sent.
    pub fn parse_optional(&self) -> Result<Option<T>, BodyProblem> {
        if self.is_empty() {
            return Ok(None);
        }
        let parsed: T =
            serde_json::from_slice(&self.bytes).map_err(|e| BodyProblem::Invalid(e.to_string()))?;
        // What serde accepted but the schema does not (a struct sent as an
        // array): refused too, after serde's own errors keep their wording.
        let value: serde_json::Value =
            serde_json::from_slice(&self.bytes).map_err(|e| BodyProblem::Invalid(e.to_string()))?;
        if let Some(problem) = crate::shape::misshapen::<T>(&value) {
            return Err(BodyProblem::Invalid(problem));
        }
        Ok(Some(parsed))
    }

    /// Parses a body that must be present.
    pub fn parse(&self) -> Result<T, BodyProblem> {
        self.parse_optional()?.ok_or(BodyProblem::Missing)
    }
}

#[async_trait::async_trait]
impl<T, const OPTIONAL: bool> ExclusiveExtractor for JsonInput<T, OPTIONAL>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: http::Request<Body>,
    ) -> Result<Self, HttpError> {
        let body = UntypedBody::from_request(rqctx, request).await?;
        Ok(Self {
            bytes: body.as_bytes().to_vec(),
            _parses_to: PhantomData,
        })
    }

    fn metadata(content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        let mut metadata = <TypedBody<T> as ExclusiveExtractor>::metadata(content_type);
        for parameter in &mut metadata.parameters {
            parameter.required = !OPTIONAL;
        }
        metadata
    }
}

/// An instant rendered as ISO 8601 UTC with whole seconds
/// (`2024-01-16T14:30:00Z`), the form every vendor page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Iso8601(pub DateTime<Utc>);

impl Iso8601 {
    /// From milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Self {
        Iso8601(DateTime::from_timestamp_millis(ms).unwrap_or_default())
    }
}

impl From<DateTime<Utc>> for Iso8601 {
    fn from(time: DateTime<Utc>) -> Self {
        Iso8601(time)
    }
}

impl Serialize for Iso8601 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl<'de> Deserialize<'de> for Iso8601 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DateTime::<Utc>::deserialize(deserializer).map(Iso8601)
    }
}

impl JsonSchema for Iso8601 {
    fn schema_name() -> String {
        "Iso8601".to_string()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        <DateTime<Utc>>::json_schema(generator)
    }

    fn is_referenceable() -> bool {
        false
    }
}
