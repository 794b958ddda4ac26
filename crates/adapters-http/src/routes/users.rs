//! Back-office accounts (api.md §10.1): create, list, show and change users. Any authenticated
//! caller may ask; the domain decides by its principal (ADMIN: every user; MERCHANT_ADMIN: its
//! merchant's users; others: 403 `FORBIDDEN`).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use domain::{
    ids::ClientId,
    people::{NewUser, Role, UserId},
    services::people::UserChange,
};
use serde_json::Value;

use super::{errors::user_not_found, guards::Caller};
use crate::{
    annotations::{
        params::UserIdPath,
        problems::{CsrfOrForbidden, EmailTaken, MerchantNotFound, UserConflict, UserNotFound},
        schemas::{ChangeUserRequest, CreateUserRequest, UserListQuery},
    },
    body::{json_object, page_query, valid},
    dto::{ListResponse, UserResponse},
    problem::ApiError,
    state::AppState,
};

/// The fields of `POST /admin/api/users`.
pub(crate) const CREATE_FIELDS: &[&str] = &["email", "role", "clientId", "password"];
/// The fields of `PATCH /admin/api/users/{userId}`.
pub(crate) const CHANGE_FIELDS: &[&str] = &["role", "disabled", "unlock"];

fn user_id(path: &web::Path<String>) -> Result<UserId, ApiError> {
    UserId::parse(path.as_str()).map_err(|_| user_not_found())
}

/// Create a user (ADMIN: any; MERCHANT_ADMIN: a merchant user of its own merchant).
#[utoipa::path(
    post,
    path = "/admin/api/users",
    operation_id = "createUser",
    security(("adminToken" = [])),
    request_body(content = CreateUserRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (never a password or hash)", body = UserResponse,
            headers(("Location" = String, description = "/admin/api/users/{userId}"))),
        (status = 403, response = CsrfOrForbidden),
        (status = 404, response = MerchantNotFound),
        (status = 409, response = EmailTaken),
    ),
)]
pub async fn create(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_user_management()?;
    let obj = json_object(&req, &caller.inner, CREATE_FIELDS)?;
    let mut v = obj.violations();
    let email = obj.string("email", true, &mut v);
    let role = obj.string("role", true, &mut v);
    let client_id = obj.string("clientId", false, &mut v);
    let password = obj.string("password", true, &mut v);
    let (email, role, password) = valid(v, (email, role, password))?;
    let new = NewUser::parse(email, role, client_id, password).map_err(ApiError::validation)?;
    let user = state
        .people
        .users
        .create(&caller.principal, new, &caller.origin)
        .await?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "user created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/admin/api/users/{}", user.id)))
        .json(UserResponse::from(&user)))
}

/// List the users the caller may manage, newest first.
#[utoipa::path(
    get,
    path = "/admin/api/users",
    operation_id = "listUsers",
    security(("adminToken" = [])),
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = ListResponse<UserResponse>),
        (status = 403, response = CsrfOrForbidden),
    ),
)]
pub async fn list(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_user_management()?;
    let mut client_id = None;
    let query = page_query(&req, &["clientId"], UserId::parse, |field, value, v| {
        client_id = v.check(field, ClientId::parse(value));
    })?;
    let limit = query.limit;
    let users = state
        .people
        .users
        .list(&caller.principal, client_id, &query.request())
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::first(users, limit, |u| UserResponse::from(u))))
}

/// Show a user.
#[utoipa::path(
    get,
    path = "/admin/api/users/{userId}",
    operation_id = "getUser",
    security(("adminToken" = [])),
    params(UserIdPath),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 403, response = CsrfOrForbidden),
        (status = 404, response = UserNotFound),
    ),
)]
pub async fn show(
    caller: Caller,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_user_management()?;
    let user = state
        .people
        .users
        .get(&caller.principal, &user_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

fn parse_change(req: &HttpRequest, body: &[u8]) -> Result<UserChange, ApiError> {
    let obj = json_object(req, body, CHANGE_FIELDS)?;
    let mut v = obj.violations();
    let role = obj.parsed("role", false, &mut v, Role::parse);
    let mut flag = |field: &str| match obj.value(field) {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            v.push(field, "must be true or false");
            None
        }
    };
    let disabled = flag("disabled");
    let unlock = flag("unlock");
    v.into_result().map_err(ApiError::validation)?;
    Ok(UserChange {
        role,
        disabled,
        unlock: unlock.unwrap_or(false),
    })
}

/// Change a user's role, disable or enable it, or unlock it. A user disabled or given another
/// role loses its sessions; the last enabled ADMIN stays.
#[utoipa::path(
    patch,
    path = "/admin/api/users/{userId}",
    operation_id = "changeUser",
    security(("adminToken" = [])),
    params(UserIdPath),
    request_body(content = ChangeUserRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The user as changed", body = UserResponse),
        (status = 403, response = CsrfOrForbidden),
        (status = 404, response = UserNotFound),
        (status = 409, response = UserConflict),
    ),
)]
pub async fn change(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_user_management()?;
    let id = user_id(&path)?;
    let change = parse_change(&req, &caller.inner)?;
    let user = state
        .people
        .users
        .change(&caller.principal, &id, &change, &caller.origin)
        .await?;
    tracing::info!(user_id = %user.id, "user changed");
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}
