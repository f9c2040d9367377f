//! The API's OpenAPI 3.1 description, built from the handlers' own annotations and the
//! types they answer with (`/api/openapi.json`): what is documented is what is served.

use std::collections::BTreeMap;

use anju_domain::person::Field;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::error::{ApiError, FieldFault};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "安居 Anju API",
        description = "残疾人联合会一人一档平台的接口。先 `POST /api/login` 取得令牌，之后每个请求带 \
                       `Authorization: Bearer 令牌`；每个接口与页面一样只见用户所辖区域，\
                       身份证号、电话、银行账号按角色打码，查看个人信息留有审计记录。",
    ),
    modifiers(&BearerAuth),
    components(schemas(ApiError, FieldFault)),
    tags(
        (name = "会话", description = "登录、退出、当前用户、修改密码"),
        (name = "档案", description = "残疾人档案（一人一档）"),
        (name = "办证", description = "残疾人证申请、评定、年度核查"),
        (name = "补贴", description = "两项补贴：名册、追回、政策标准、导入"),
        (name = "管理", description = "区划、用户、审计日志、待办"),
        (name = "规划指标", description = "规划指标、目标任务与指标背后的人员"),
    )
)]
pub struct ApiDoc;

/// The bearer token `POST /api/login` gives.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("POST /api/login 返回的 token"))
                    .build(),
            ),
        );
    }
}

/// Every refusal: `{"error","message"}` with the status saying which (400 bad input, 401 not
/// logged in, 403 not allowed, 404 not found or outside the caller's regions, 429 too many
/// attempts, 503 busy with a long job, both with `Retry-After`).
pub struct Failure;

impl utoipa::IntoResponses for Failure {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        let response = ResponseBuilder::new()
            .description(
                "拒绝或出错：400 请求有误，401 未登录，403 无权限，404 不存在或不在所辖区域，\
                 429 尝试过多，503 正在处理大批量数据（均带 Retry-After 时请稍后再试）",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::<Schema>::Ref(Ref::from_schema_name(
                        "ApiError",
                    ))))
                    .build(),
            )
            .build();
        BTreeMap::from([("default".to_owned(), RefOr::T(response))])
    }
}

/// A person's fields as the API takes them: each key a field of the file (the sheet's
/// column), each value text, a number, or `null` to clear it.
pub struct PersonFields;

impl PartialSchema for PersonFields {
    fn schema() -> RefOr<Schema> {
        let value = || {
            ObjectBuilder::new().schema_type(SchemaType::Array(vec![
                Type::String,
                Type::Number,
                Type::Null,
            ]))
        };
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "档案字段：键为字段名，值为文本（数字亦可），null 表示清空",
            ));
        for f in Field::ALL {
            o = o.property(f.key(), value().description(Some(f.header())));
        }
        o.into()
    }
}

impl ToSchema for PersonFields {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_fields_name_every_field() {
        let RefOr::T(Schema::Object(o)) = PersonFields::schema() else {
            panic!("an object schema");
        };
        assert_eq!(o.properties.len(), Field::ALL.len());
        assert!(o.properties.contains_key("id_number"));
    }
}
