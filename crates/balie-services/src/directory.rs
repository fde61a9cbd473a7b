//! The account's directory: agents, teams and inboxes.

use balie_domain::{Agent, Channel, EmailAddress, EventKind, Inbox, Presence, Role, Team};
use balie_storage::accounts::{self, AgentChanges, NewAgent};
use balie_storage::{inboxes, teams};
use serde_json::json;

use crate::auth::{check_password_rules, hash_password};
use crate::{agent_event, Actor, Page, PageRequest, Result, ServiceError, Services};

/// A trimmed, non-empty text of bounded length.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max_chars {
        return Err(ServiceError::invalid(
            field,
            format!("at most {max_chars} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ServiceError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// Settings are a JSON object of bounded size.
pub fn settings_object(field: &str, value: &serde_json::Value) -> Result<()> {
    if !value.is_object() {
        return Err(ServiceError::invalid(field, "must be a JSON object"));
    }
    if value.to_string().len() > 64 * 1024 {
        return Err(ServiceError::invalid(field, "at most 64 KiB"));
    }
    Ok(())
}

async fn hash_off_thread(password: String) -> Result<String> {
    check_password_rules(&password)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ServiceError::invalid("password", e.to_string()))?
}

/// What an admin fills in to add an agent.
#[derive(Debug, Clone)]
pub struct AgentInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
}

/// Changes to an agent; admins may change anything, agents only their own
/// name, presence and password.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub presence: Option<Presence>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

impl Services {
    pub async fn account(&self, actor: &Actor) -> Result<balie_domain::Account> {
        let mut conn = self.store.read().await?;
        Ok(accounts::get_account(&mut conn, actor.account_id).await?)
    }

    pub async fn create_agent(&self, actor: &Actor, input: AgentInput) -> Result<Agent> {
        actor.require_admin()?;
        let email = EmailAddress::parse(&input.email)?;
        let name = required_text("name", &input.name, 200)?;
        let hash = match input.password {
            Some(p) => Some(hash_off_thread(p).await?),
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let agent = accounts::create_agent(
            tx.conn(),
            actor.account_id,
            &NewAgent {
                email: email.as_str(),
                name: &name,
                role: input.role,
                password_hash: hash.as_deref(),
            },
            now,
        )
        .await
        .map_err(conflict("an agent with this email exists"))?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(
                actor,
                EventKind::AgentCreated,
                json!({ "agent_id": agent.id }),
            ),
            now,
        )
        .await?;
        Ok(agent)
    }

    pub async fn get_agent(&self, actor: &Actor, id: i64) -> Result<Agent> {
        let mut conn = self.store.read().await?;
        Ok(accounts::get_agent(&mut conn, actor.account_id, id).await?)
    }

    pub async fn list_agents(&self, actor: &Actor, page: PageRequest) -> Result<Page<Agent>> {
        let mut conn = self.store.read().await?;
        let rows =
            accounts::list_agents(&mut conn, actor.account_id, page.cursor, page.fetch()).await?;
        Ok(Page::from_rows(rows, page.limit, |a| a.id))
    }

    pub async fn update_agent(&self, actor: &Actor, id: i64, patch: AgentPatch) -> Result<Agent> {
        // 404 before 403: an agent of another account must not learn it exists.
        self.get_agent(actor, id).await?;
        let is_self = actor.agent_id == id;
        if !actor.role.is_admin() && (!is_self || patch.role.is_some() || patch.active.is_some()) {
            return Err(ServiceError::Forbidden(
                "agents may only change their own name, presence and password".into(),
            ));
        }
        if is_self && (patch.role == Some(Role::Agent) || patch.active == Some(false)) {
            return Err(ServiceError::Conflict(
                "you cannot demote or deactivate yourself".into(),
            ));
        }
        let name = patch
            .name
            .as_deref()
            .map(|n| required_text("name", n, 200))
            .transpose()?;
        let hash = match patch.password {
            Some(p) => Some(hash_off_thread(p).await?),
            None => None,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let agent = accounts::update_agent(
            tx.conn(),
            actor.account_id,
            id,
            &AgentChanges {
                name: name.as_deref(),
                role: patch.role,
                presence: patch.presence,
                active: patch.active,
                password_hash: hash.as_deref(),
            },
            now,
        )
        .await?;
        let payload = json!({ "agent_id": id, "presence": agent.presence, "role": agent.role, "active": agent.active });
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(actor, EventKind::AgentUpdated, payload),
            now,
        )
        .await?;
        Ok(agent)
    }

    pub async fn create_team(&self, actor: &Actor, name: &str) -> Result<Team> {
        actor.require_admin()?;
        let name = required_text("name", name, 100)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let team = teams::create_team(tx.conn(), actor.account_id, &name, now)
            .await
            .map_err(conflict("a team with this name exists"))?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(actor, EventKind::TeamCreated, json!({ "team_id": team.id })),
            now,
        )
        .await?;
        Ok(team)
    }

    pub async fn get_team(&self, actor: &Actor, id: i64) -> Result<Team> {
        let mut conn = self.store.read().await?;
        Ok(teams::get_team(&mut conn, actor.account_id, id).await?)
    }

    pub async fn list_teams(&self, actor: &Actor, page: PageRequest) -> Result<Page<Team>> {
        let mut conn = self.store.read().await?;
        let rows =
            teams::list_teams(&mut conn, actor.account_id, page.cursor, page.fetch()).await?;
        Ok(Page::from_rows(rows, page.limit, |t| t.id))
    }

    /// Renames a team and/or sets its members.
    pub async fn update_team(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<&str>,
        add: &[i64],
        remove: &[i64],
    ) -> Result<Team> {
        self.get_team(actor, id).await?;
        actor.require_admin()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(name) = name {
            let name = required_text("name", name, 100)?;
            teams::rename_team(tx.conn(), actor.account_id, id, &name)
                .await
                .map_err(conflict("a team with this name exists"))?;
        }
        for agent_id in add {
            teams::add_member(tx.conn(), actor.account_id, id, *agent_id)
                .await
                .map_err(|e| match e {
                    balie_storage::StorageError::NotFound => {
                        ServiceError::invalid("add_member_ids", format!("no agent {agent_id}"))
                    }
                    other => other.into(),
                })?;
        }
        for agent_id in remove {
            match teams::remove_member(tx.conn(), actor.account_id, id, *agent_id).await {
                Ok(_) | Err(balie_storage::StorageError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let team = teams::get_team(tx.conn(), actor.account_id, id).await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(
                actor,
                EventKind::TeamUpdated,
                json!({ "team_id": id, "member_ids": team.member_ids }),
            ),
            now,
        )
        .await?;
        Ok(team)
    }

    pub async fn delete_team(&self, actor: &Actor, id: i64) -> Result<()> {
        self.get_team(actor, id).await?;
        actor.require_admin()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        teams::delete_team(tx.conn(), actor.account_id, id).await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(actor, EventKind::TeamDeleted, json!({ "team_id": id })),
            now,
        )
        .await
    }

    pub async fn create_inbox(
        &self,
        actor: &Actor,
        name: &str,
        channel: Channel,
        settings: serde_json::Value,
    ) -> Result<Inbox> {
        actor.require_admin()?;
        let name = required_text("name", name, 100)?;
        settings_object("settings", &settings)?;
        let mut settings = settings;
        check_inbox_settings(&settings)?;
        // A web-chat inbox gets its public widget token and the secret shops
        // sign customer ids with.
        let public_token = (channel == Channel::WebChat)
            .then(|| crate::auth::new_secret("wgt_")[..28].to_string());
        if channel == Channel::WebChat {
            if let Some(obj) = settings.as_object_mut() {
                obj.entry("identity_secret")
                    .or_insert_with(|| crate::auth::new_secret("whs_").into());
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let inbox = inboxes::create_inbox(
            tx.conn(),
            actor.account_id,
            &name,
            channel,
            &settings,
            public_token.as_deref(),
            now,
        )
        .await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(
                actor,
                EventKind::InboxCreated,
                json!({ "inbox_id": inbox.id, "channel": channel }),
            ),
            now,
        )
        .await?;
        Ok(inbox)
    }

    pub async fn get_inbox(&self, actor: &Actor, id: i64) -> Result<Inbox> {
        let mut conn = self.store.read().await?;
        Ok(inboxes::get_inbox(&mut conn, actor.account_id, id).await?)
    }

    pub async fn list_inboxes(&self, actor: &Actor, page: PageRequest) -> Result<Page<Inbox>> {
        let mut conn = self.store.read().await?;
        let rows =
            inboxes::list_inboxes(&mut conn, actor.account_id, page.cursor, page.fetch()).await?;
        Ok(Page::from_rows(rows, page.limit, |i| i.id))
    }

    pub async fn update_inbox(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<&str>,
        settings: Option<serde_json::Value>,
    ) -> Result<Inbox> {
        self.get_inbox(actor, id).await?;
        actor.require_admin()?;
        let name = name.map(|n| required_text("name", n, 100)).transpose()?;
        if let Some(s) = &settings {
            settings_object("settings", s)?;
            check_inbox_settings(s)?;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let inbox = inboxes::update_inbox(
            tx.conn(),
            actor.account_id,
            id,
            name.as_deref(),
            settings.as_ref(),
            now,
        )
        .await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            agent_event(actor, EventKind::InboxUpdated, json!({ "inbox_id": id })),
            now,
        )
        .await?;
        Ok(inbox)
    }
}

/// Inbox settings Balie itself reads must have the right shape.
fn check_inbox_settings(settings: &serde_json::Value) -> Result<()> {
    if let Some(hours) = settings.get("business_hours") {
        let hours: balie_domain::BusinessHours = serde_json::from_value(hours.clone())
            .map_err(|e| ServiceError::invalid("settings.business_hours", e.to_string()))?;
        hours.validate()?;
    }
    if let Some(origins) = settings.get("allowed_origins") {
        let ok = origins.as_array().is_some_and(|a| {
            a.iter()
                .all(|o| o.as_str().is_some_and(|s| s.starts_with("http")))
        });
        if !ok {
            return Err(ServiceError::invalid(
                "settings.allowed_origins",
                "a list of origins such as https://shop.example",
            ));
        }
    }
    if let Some(secret) = settings.get("identity_secret") {
        if secret.as_str().is_none_or(|s| s.len() < 16) {
            return Err(ServiceError::invalid(
                "settings.identity_secret",
                "a string of at least 16 characters",
            ));
        }
    }
    Ok(())
}

/// Maps a storage conflict to a readable one.
fn conflict(message: &'static str) -> impl Fn(balie_storage::StorageError) -> ServiceError {
    move |e| match e {
        balie_storage::StorageError::Conflict(_) => ServiceError::Conflict(message.into()),
        other => other.into(),
    }
}
