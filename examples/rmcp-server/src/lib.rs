//! An MCP server built with [rmcp](https://docs.rs/rmcp) (streamable HTTP, mounted in axum) and
//! protected by Teleport: the Rust twin of `examples/mcp_server.py`.
//!
//! - [`TeleportLayer`] in front of rmcp's `StreamableHttpService` verifies every HTTP request
//!   (each POST, the SSE GET and the session DELETE), authorizes it with the policy
//!   `examples/policy/reports.yaml`, and answers refused requests itself (401, 503, 500; see
//!   `teleport_jwt::refusal`). rmcp has no authentication hook of its own: this is the place.
//! - rmcp hands each tool call the HTTP request's `http::request::Parts` in its request
//!   context, so the layer's [`Authorized`] is in `parts.extensions`: the [`Teleport`] extractor
//!   below gives it to a tool as a parameter. It is read per HTTP request, never per MCP
//!   session, so a session id presented with another user's token gets that user's rights.
//! - rmcp's `ToolRouter` has no per-caller filter (its `disable_route` is global), so
//!   [`Reports`] implements `ServerHandler::list_tools`, `call_tool` and `get_tool` itself
//!   instead of `#[tool_handler]`: `tools/list` shows only the tools whose permission
//!   `tool:<name>` the caller holds (and marks the list `private` for caches), and `tools/call`
//!   of any other tool is refused as an unknown tool (JSON-RPC -32602), as
//!   `teleport_jwt.mcp`'s middleware does in Python.
//! - Finer permissions are checked inside the tool: `read_report` needs
//!   `report:<name>:read` and answers a tool error naming it (for the model to read) otherwise.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::{
    session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
};
use rmcp::{schemars, tool, tool_router, ServerHandler};
use teleport_jwt::axum::TeleportLayer;
use teleport_jwt::policy::{tool_permission, Policy};
use teleport_jwt::{Authorized, TeleportJwt, Verifier, VerifierOptions, VerifyError};

/// The Teleport app's `uri`, with Teleport's `mcp+` prefix: the tokens' audience.
pub const AUDIENCE: &str = "mcp+http://127.0.0.1:8000/mcp";

/// The permission policy of this server (shared with the Python demo).
pub const POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../policy/reports.yaml");

/// The policy, loaded once (a mistake fails here, with its line and column).
pub fn policy() -> Result<Arc<Policy>, VerifyError> {
    Ok(Arc::new(Policy::from_file(POLICY)?))
}

/// The verified caller of the current MCP request and its permissions, for a tool parameter:
/// `fn whoami(&self, Teleport(caller): Teleport)`. A call without one (no [`TeleportLayer`]
/// in front, or a verifier without permission mapper) is refused as an internal error.
pub struct Teleport(pub Authorized);

impl<C: AsRequestContext> FromContextPart<C> for Teleport {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        caller(context.as_request_context()).map(Teleport)
    }
}

/// The caller of the request `ctx` belongs to, as the layer put it into the HTTP request.
pub fn caller(ctx: &RequestContext<RoleServer>) -> Result<Authorized, ErrorData> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Authorized>())
        .cloned()
        .ok_or_else(|| {
            ErrorData::internal_error(
                "no Teleport caller on this request: is the TeleportLayer (with a permission mapper) in front of the MCP service?",
                None,
            )
        })
}

/// The argument of the report tools.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct ReportName {
    /// The report, e.g. `sales-q3`.
    pub name: String,
}

/// The MCP server: four tools over a shared set of reports.
#[derive(Clone)]
pub struct Reports {
    tool_router: ToolRouter<Self>,
    reports: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Default for Reports {
    fn default() -> Self {
        let reports = [
            ("sales-q3", "Sales grew 12%."),
            ("finance-q3", "Costs fell 3%."),
        ];
        Reports {
            tool_router: Self::tool_router(),
            reports: Arc::new(Mutex::new(
                reports
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            )),
        }
    }
}

impl Reports {
    fn reports(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        // A panic while holding the lock leaves plain strings behind: still usable.
        self.reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[tool_router]
impl Reports {
    /// Who is calling, as Teleport says.
    #[tool(description = "Who is calling, as Teleport says.")]
    fn whoami(&self, Teleport(caller): Teleport) -> String {
        let me = &caller.identity;
        format!("{} (roles: {})", me.username, me.roles.join(", "))
    }

    /// The reports the caller may read.
    #[tool(description = "The reports the caller may read.")]
    fn list_reports(&self, Teleport(caller): Teleport) -> String {
        let mine: Vec<String> = self
            .reports()
            .keys()
            .filter(|name| caller.permissions.allows(&format!("report:{name}:read")))
            .cloned()
            .collect();
        if mine.is_empty() {
            "none".to_owned()
        } else {
            mine.join(", ")
        }
    }

    /// Read a report: needs the permission `report:<name>:read`.
    #[tool(description = "Read a report: needs the permission report:<name>:read.")]
    fn read_report(
        &self,
        Teleport(caller): Teleport,
        Parameters(ReportName { name }): Parameters<ReportName>,
    ) -> CallToolResult {
        let permission = format!("report:{name}:read");
        if !caller.permissions.allows(&permission) {
            let who = &caller.identity.username;
            return CallToolResult::error(vec![ContentBlock::text(format!(
                "permission denied: {who} does not have '{permission}'"
            ))]);
        }
        let text = self
            .reports()
            .get(&name)
            .cloned()
            .unwrap_or_else(|| "no such report".to_owned());
        CallToolResult::success(vec![ContentBlock::text(text)])
    }

    /// Delete a report (only callers granted `tool:delete_report` even see this tool).
    #[tool(
        description = "Delete a report (only callers granted tool:delete_report see this tool)."
    )]
    fn delete_report(&self, Parameters(ReportName { name }): Parameters<ReportName>) -> String {
        match self.reports().remove(&name) {
            Some(_) => format!("deleted {name}"),
            None => "no such report".to_owned(),
        }
    }
}

impl ServerHandler for Reports {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    /// Only the tools the caller may call; the list depends on the caller, so caches keep it
    /// private.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller(&ctx)?;
        let tools: Vec<Tool> = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|t| caller.permissions.can_call_tool(&t.name))
            .collect();
        let mut result = ListToolsResult::with_all_items(tools);
        result.cache_scope = Some(CacheScope::Private);
        Ok(result)
    }

    /// Refuses a tool the caller may not call exactly as an unknown one, naming the
    /// permission; runs the others through the router.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller(&ctx)?;
        let name = request.name.as_ref();
        if !caller.permissions.can_call_tool(name) {
            let who = &caller.identity.username;
            let permission = tool_permission(name);
            log::info!(
                "tools/call {name:?} refused for {who}: permission {permission} not granted"
            );
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {name} (permission '{permission}' is not granted to {who})"),
                None,
            ));
        }
        self.tool_router
            .call(ToolCallContext::new(self, request, ctx))
            .await
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool_router.get(name).cloned()
    }
}

/// The MCP service at `/mcp`, every request behind Teleport, and the verifier's Prometheus
/// metrics at `/metrics` (outside the layer: a scraper has no Teleport token; serve it on an
/// internal port in production): what `main` serves and the tests run. `verifier` must have a
/// permission mapper (`policy()`).
pub fn app(verifier: Verifier) -> axum::Router {
    let scraped = verifier.clone();
    let reports = Reports::default();
    let mcp: StreamableHttpService<Reports, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(reports.clone()),
        Default::default(),
        StreamableHttpServerConfig::default(),
    );
    axum::Router::new()
        .nest_service("/mcp", mcp)
        .layer(TeleportLayer::new(verifier))
        .route(
            "/metrics",
            axum::routing::get(move || {
                let text = scraped.stats().prometheus_text();
                async move { ([("content-type", "text/plain; version=0.0.4")], text) }
            }),
        )
}

/// core/README.md's rmcp quick start, verbatim between the markers (`tests/readme.rs` keeps them
/// identical and runs it); `main` serves with it. Each MCP session gets its own `Reports`
/// here; [`app`] shares one set between sessions.
#[rustfmt::skip]
pub async fn quick_start(proxy_url: String, cluster_name: String, audience: String, options: VerifierOptions, policy_file: &str, listener: tokio::net::TcpListener) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // README begin: rmcp
    let verifier = Verifier::teleport_jwt(TeleportJwt { proxy_url, cluster_name, audience, options })?
        .with_permissions(Arc::new(Policy::from_file(policy_file)?));     // tool:<name> permissions
    let mcp = StreamableHttpService::new(|| Ok(Reports::default()), LocalSessionManager::default().into(), Default::default());
    let app = Router::new().nest_service("/mcp", mcp).layer(TeleportLayer::new(verifier));
    axum::serve(listener, app).await?;
    // README end
    Ok(())
}
