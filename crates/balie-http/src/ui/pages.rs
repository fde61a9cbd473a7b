//! The inbox pages: the conversation list with its filters, and one
//! conversation with the contact's whole history on every channel, the reply
//! box, the actions and the contact sidebar.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use balie_domain::{
    Agent, AuthorType, Channel, Contact, Conversation, ConversationStatus, Direction, Message,
    Presence, Priority,
};
use balie_services::canned::CannedQuery;
use balie_services::conversations::{ConversationPatch, ReplyInput};
use balie_services::directory::AgentPatch;
use balie_services::{PageRequest, ServiceError};
use balie_storage::canned::CannedResponse;
use balie_storage::conversations::ConversationFilter;
use serde::Deserialize;
use serde_json::json;

use super::html::{
    channel_name, escape_html as e, option, priority_name, status_name, time, url_encode, Shell,
};
use super::i18n::Lang;
use super::{error_page, html_response, readable_error, remember_lang, AgentPage};
use crate::AppState;

/// The filters of the conversation list, as in the query string. Values are
/// kept as text: an unknown one is ignored rather than refused.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub channel: Option<String>,
    pub label: Option<String>,
    pub team_id: Option<String>,
    pub inbox_id: Option<String>,
    pub cursor: Option<String>,
}

impl ListQuery {
    fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("open")
    }

    fn filter(&self, me: i64) -> ConversationFilter {
        let mut f = ConversationFilter {
            status: self.status().parse().ok(),
            ..Default::default()
        };
        match self.assignee.as_deref().unwrap_or("") {
            "me" => f.assignee_id = Some(me),
            "none" => f.unassigned = true,
            other => f.assignee_id = other.parse().ok(),
        }
        f.channel = self.channel.as_deref().and_then(|c| c.parse().ok());
        f.label = self
            .label
            .as_deref()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty());
        f.team_id = self.team_id.as_deref().and_then(|t| t.parse().ok());
        f.inbox_id = self.inbox_id.as_deref().and_then(|t| t.parse().ok());
        f
    }

    /// The filters as a query string (without `lang` and `cursor`), for links.
    fn to_query(&self) -> String {
        let mut parts = vec![format!("status={}", url_encode(self.status()))];
        for (k, v) in [
            ("assignee", &self.assignee),
            ("channel", &self.channel),
            ("label", &self.label),
            ("team_id", &self.team_id),
            ("inbox_id", &self.inbox_id),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        parts.join("&")
    }
}

/// What every inbox page shows around its content.
struct Directory {
    agents: Vec<Agent>,
    teams: Vec<balie_domain::Team>,
    inboxes: Vec<balie_domain::Inbox>,
    last_event_id: i64,
}

impl Directory {
    async fn load(state: &AppState, page: &AgentPage) -> Result<Directory, ServiceError> {
        let s = &state.services;
        let all = PageRequest {
            cursor: None,
            limit: PageRequest::MAX_LIMIT,
        };
        let agents = s.list_agents(&page.actor, all).await?.data;
        let teams = s.list_teams(&page.actor, all).await?.data;
        let inboxes = s.list_inboxes(&page.actor, all).await?.data;
        // The live socket resumes from here, so the page and the stream meet.
        let last_event_id = s.last_event_id(&page.actor).await?;
        Ok(Directory {
            agents,
            teams,
            inboxes,
            last_event_id,
        })
    }

    fn agent_name(&self, id: i64) -> Option<&str> {
        self.agents
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.as_str())
    }
}

fn presence_name(p: Presence, lang: Lang) -> &'static str {
    lang.t(p.as_str())
}

/// The bar at the top: brand, presence, settings (admins), language, logout.
pub(super) fn top_bar(page: &AgentPage, path_and_filters: &str) -> String {
    let lang = page.lang;
    let me = &page.principal.agent;
    let mut presence = String::new();
    for p in [Presence::Online, Presence::Away, Presence::Offline] {
        presence.push_str(&option(
            p.as_str(),
            presence_name(p, lang),
            me.presence == p,
        ));
    }
    let sep = if path_and_filters.contains('?') {
        "&"
    } else {
        "?"
    };
    format!(
        "<header class=\"top\">\n<a class=\"brand\" href=\"/inbox\">Balie</a>\n\
         <span id=\"live\" class=\"live\" data-on=\"{live_on}\" data-off=\"{live_off}\"></span>\n\
         <span id=\"unread-total\" class=\"unread-total\" hidden></span>\n\
         <form method=\"post\" action=\"/inbox/presence\" class=\"presence\" data-ajax data-autosubmit>\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label><span class=\"who\">{name}</span> <select name=\"presence\" aria-label=\"{presence_l}\">{presence}</select></label>\n\
         <noscript><button type=\"submit\">{save}</button></noscript>\n</form>\n\
         <button type=\"button\" id=\"notify\" class=\"link\" hidden>{notify}</button>\n\
         <button type=\"button\" id=\"help-toggle\" class=\"link\" aria-controls=\"help\" title=\"{shortcuts}\">?</button>\n\
         {settings}<a class=\"lang\" href=\"{path}{sep}lang={other}\" hreflang=\"{other}\" title=\"{switch}\">{other_up}</a>\n\
         <form method=\"post\" action=\"/logout\" class=\"logout\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <button type=\"submit\" class=\"link\">{logout}</button>\n</form>\n</header>\n\
         <div id=\"help\" class=\"help\" hidden><strong>{shortcuts}</strong> {shortcuts_help}</div>",
        live_on = e(lang.t("live_connected")),
        live_off = e(lang.t("live_offline")),
        csrf = e(page.csrf()),
        name = e(&me.name),
        presence_l = e(lang.t("presence")),
        save = e(lang.t("save")),
        notify = e(lang.t("notify_on")),
        shortcuts = e(lang.t("shortcuts")),
        shortcuts_help = e(lang.t("shortcuts_help")),
        path = e(path_and_filters),
        sep = e(sep),
        other = lang.other().code(),
        switch = e(lang.t("language")),
        other_up = lang.other().code().to_uppercase(),
        logout = e(lang.t("logout")),
        settings = if page.actor.role.is_admin() {
            format!(
                "<a class=\"settings-link\" href=\"/settings/inboxes\">{}</a>\n<a class=\"settings-link\" href=\"/settings/canned\">{}</a>\n<a class=\"settings-link\" href=\"/settings/knowledge\">{}</a>\n<a class=\"settings-link\" href=\"/settings/bot\">{}</a>\n<a class=\"settings-link\" href=\"/reports/bot\">{}</a>\n",
                e(lang.t("inbox_settings")),
                e(lang.t("canned_settings")),
                e(lang.t("kb_settings")),
                e(lang.t("bot_settings")),
                e(lang.t("report_bot"))
            )
        } else {
            format!(
                "<a class=\"settings-link\" href=\"/reports/bot\">{}</a>\n",
                e(lang.t("report_bot"))
            )
        },
    )
}

fn body_attrs(page: &AgentPage, dir: &Directory, kind: &str, extra: &str) -> String {
    let lang = page.lang;
    format!(
        " class=\"page-{kind}\" data-page=\"{kind}\" data-lang=\"{lang}\" data-agent-id=\"{agent}\" \
         data-last-event-id=\"{last}\" data-t-typing=\"{typing}\" data-t-viewing=\"{viewing}\" \
         data-t-network=\"{network}\" data-t-new-message=\"{new_message}\" data-t-unread=\"{unread}\" \
         data-t-empty=\"{empty}\"{extra}",
        lang = lang.code(),
        agent = page.actor.agent_id,
        last = dir.last_event_id,
        typing = e(lang.t("typing")),
        viewing = e(lang.t("viewing")),
        network = e(lang.t("network_error")),
        new_message = e(lang.t("new_message")),
        unread = e(lang.t("unread")),
        empty = e(lang.t("empty_text")),
    )
}

/// The filter form above the list.
fn filters_form(lang: Lang, q: &ListQuery, dir: &Directory) -> String {
    let mut status = option("all", lang.t("all"), q.status() == "all");
    for s in ConversationStatus::ALL {
        status.push_str(&option(
            s.as_str(),
            status_name(*s, lang),
            q.status() == s.as_str(),
        ));
    }
    let a = q.assignee.as_deref().unwrap_or("");
    let mut assignee = option("", lang.t("anyone"), a.is_empty());
    assignee.push_str(&option("me", lang.t("me"), a == "me"));
    assignee.push_str(&option("none", lang.t("unassigned"), a == "none"));
    for agent in &dir.agents {
        let id = agent.id.to_string();
        assignee.push_str(&option(&id, &agent.name, a == id));
    }
    let c = q.channel.as_deref().unwrap_or("");
    let mut channel = option("", lang.t("any_channel"), c.is_empty());
    for ch in Channel::ALL {
        channel.push_str(&option(
            ch.as_str(),
            channel_name(*ch, lang),
            c == ch.as_str(),
        ));
    }
    let t = q.team_id.as_deref().unwrap_or("");
    let mut team = option("", lang.t("any_team"), t.is_empty());
    for tm in &dir.teams {
        let id = tm.id.to_string();
        team.push_str(&option(&id, &tm.name, t == id));
    }
    let i = q.inbox_id.as_deref().unwrap_or("");
    let mut inbox = option("", lang.t("any_inbox"), i.is_empty());
    for ib in &dir.inboxes {
        let id = ib.id.to_string();
        inbox.push_str(&option(&id, &ib.name, i == id));
    }
    format!(
        "<details class=\"filters-box\" data-open-wide><summary>{filters_l}</summary>\n\
         <form id=\"filters\" class=\"filters\" method=\"get\" action=\"/inbox\" data-autosubmit-nav>\n\
         <label>{status_l}<select name=\"status\">{status}</select></label>\n\
         <label>{assignee_l}<select name=\"assignee\">{assignee}</select></label>\n\
         <label>{channel_l}<select name=\"channel\">{channel}</select></label>\n\
         <label>{team_l}<select name=\"team_id\">{team}</select></label>\n\
         <label>{inbox_l}<select name=\"inbox_id\">{inbox}</select></label>\n\
         <label>{label_l}<input type=\"search\" name=\"label\" value=\"{label}\"></label>\n\
         <button type=\"submit\">{apply}</button>\n</form></details>",
        filters_l = e(lang.t("filters")),
        status_l = e(lang.t("status")),
        assignee_l = e(lang.t("assignee")),
        channel_l = e(lang.t("channel")),
        team_l = e(lang.t("team")),
        inbox_l = e(lang.t("inbox_filter")),
        label_l = e(lang.t("label")),
        label = e(q.label.as_deref().unwrap_or("")),
        apply = e(lang.t("apply")),
    )
}

/// Names of the contacts of some conversations, one lookup each.
async fn contact_names(
    state: &AppState,
    page: &AgentPage,
    convs: &[Conversation],
) -> HashMap<i64, String> {
    let mut names = HashMap::new();
    for c in convs {
        if names.contains_key(&c.contact_id) {
            continue;
        }
        let name = match state.services.get_contact(&page.actor, c.contact_id).await {
            Ok(contact) => display_name(&contact, page.lang),
            Err(_) => page.lang.t("unknown_contact").to_string(),
        };
        names.insert(c.contact_id, name);
    }
    names
}

fn display_name(contact: &Contact, lang: Lang) -> String {
    contact
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| contact.identities.first().map(|i| i.value.clone()))
        .unwrap_or_else(|| lang.t("unknown_contact").to_string())
}

/// The list of conversations (the part the script refreshes live).
fn conversation_list(
    lang: Lang,
    q: &ListQuery,
    dir: &Directory,
    convs: &[Conversation],
    names: &HashMap<i64, String>,
    next_cursor: Option<&str>,
    current: Option<i64>,
) -> String {
    let filters = q.to_query();
    let mut s = String::from("<ul id=\"conv-list\" class=\"conv-list\">\n");
    if convs.is_empty() {
        let _ = writeln!(
            s,
            "<li class=\"empty\">{}</li>",
            e(lang.t("no_conversations"))
        );
    }
    for c in convs {
        let name = names
            .get(&c.contact_id)
            .map(String::as_str)
            .unwrap_or_else(|| lang.t("unknown_contact"));
        let mut meta = format!(
            "<span class=\"badge status-{st}\">{stn}</span>",
            st = c.status.as_str(),
            stn = e(status_name(c.status, lang)),
        );
        if c.priority != Priority::Normal {
            let _ = write!(
                meta,
                " <span class=\"badge prio-{p}\">{pn}</span>",
                p = c.priority.as_str(),
                pn = e(priority_name(c.priority, lang))
            );
        }
        if let Some(ch) = c.last_channel {
            let _ = write!(
                meta,
                " <span class=\"chan chan-{}\">{}</span>",
                ch.as_str(),
                e(channel_name(ch, lang))
            );
        }
        let who = match c.assignee_id {
            Some(id) => dir.agent_name(id).unwrap_or("?").to_string(),
            None => lang.t("unassigned").to_string(),
        };
        let _ = write!(meta, " <span class=\"assignee\">{}</span>", e(&who));
        for l in &c.labels {
            let _ = write!(meta, " <span class=\"label\">{}</span>", e(l));
        }
        let when = c.last_message_at.unwrap_or(c.updated_at).0;
        let _ = writeln!(
            s,
            "<li class=\"row{cur}\" data-conversation-id=\"{id}\"><a href=\"/inbox/c/{id}?{filters}\"{aria}>\
             <span class=\"row-top\"><span class=\"name\">{name}</span>\
             <span class=\"unread-badge\" hidden></span>{time}</span>\
             <span class=\"row-meta\">{meta}</span>{subject}</a></li>",
            cur = if current == Some(c.id) {
                " current"
            } else {
                ""
            },
            id = c.id,
            filters = e(&filters),
            aria = if current == Some(c.id) {
                " aria-current=\"page\""
            } else {
                ""
            },
            name = e(name),
            time = time(when),
            subject = c
                .subject
                .as_deref()
                .map(|sub| format!("<span class=\"subject\">{}</span>", e(sub)))
                .unwrap_or_default(),
        );
    }
    if let Some(next) = next_cursor {
        let _ = writeln!(
            s,
            "<li class=\"more\"><a href=\"/inbox?{}&amp;cursor={}\">{}</a></li>",
            e(&filters),
            e(&url_encode(next)),
            e(lang.t("more"))
        );
    }
    s.push_str("</ul>");
    s
}

/// The list pane: filters and conversations.
async fn list_pane(
    state: &AppState,
    page: &AgentPage,
    q: &ListQuery,
    dir: &Directory,
    current: Option<i64>,
) -> Result<String, ServiceError> {
    let req = PageRequest::new(q.cursor.as_deref(), Some(50)).unwrap_or(PageRequest {
        cursor: None,
        limit: 50,
    });
    let convs = state
        .services
        .list_conversations(&page.actor, &q.filter(page.actor.agent_id), req)
        .await?;
    let names = contact_names(state, page, &convs.data).await;
    Ok(format!(
        "<section class=\"list-pane\" aria-label=\"{title}\">\n<h1 class=\"pane-title\">{title}</h1>\n{filters}\n{list}\n</section>",
        title = e(page.lang.t("conversations")),
        filters = filters_form(page.lang, q, dir),
        list = conversation_list(
            page.lang,
            q,
            dir,
            &convs.data,
            &names,
            convs.next_cursor.as_deref(),
            current
        ),
    ))
}

/// `GET /inbox`: the conversation list.
pub async fn inbox(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<ListQuery>,
) -> Response {
    let dir = match Directory::load(&state, &page).await {
        Ok(d) => d,
        Err(err) => return error_page(page.lang, &err),
    };
    let pane = match list_pane(&state, &page, &q, &dir, None).await {
        Ok(p) => p,
        Err(err) => return error_page(page.lang, &err),
    };
    let path = format!("/inbox?{}", q.to_query());
    let shell = Shell {
        lang: page.lang,
        title: page.lang.t("inbox"),
        body_attrs: body_attrs(&page, &dir, "inbox", ""),
        csrf: Some(page.csrf()),
        top: top_bar(&page, &path),
        main: format!("<div class=\"layout only-list\">\n{pane}\n</div>"),
    };
    remember_lang(
        html_response(StatusCode::OK, shell.render()),
        page.chosen_lang,
    )
}

/// Every message with the contact on every channel, oldest first.
async fn whole_history(
    state: &AppState,
    page: &AgentPage,
    contact_id: i64,
) -> Result<Vec<Message>, ServiceError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    // Ten pages of a thousand is more history than one screen can hold.
    for _ in 0..10 {
        let req = PageRequest::new(cursor.as_deref(), Some(PageRequest::MAX_LIMIT))?;
        let p = state
            .services
            .contact_timeline(&page.actor, contact_id, req)
            .await?;
        out.extend(p.data);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

fn author_name(m: &Message, contact_name: &str, dir: &Directory, lang: Lang) -> String {
    match m.author_type {
        AuthorType::Contact => contact_name.to_string(),
        AuthorType::Agent => m
            .author_id
            .and_then(|id| dir.agent_name(id))
            .unwrap_or(lang.t("agent"))
            .to_string(),
        AuthorType::Bot => lang.t("bot").to_string(),
        AuthorType::System => lang.t("system").to_string(),
    }
}

fn message_item(
    m: &Message,
    current: i64,
    contact_name: &str,
    dir: &Directory,
    lang: Lang,
) -> String {
    let kind = if m.private {
        "note"
    } else if m.direction == Direction::Inbound {
        "in"
    } else {
        "out"
    };
    let other = if m.conversation_id != current {
        format!(
            " <a class=\"other-conv\" href=\"/inbox/c/{id}\">{t} #{id}</a>",
            id = m.conversation_id,
            t = e(lang.t("other_conversation"))
        )
    } else {
        String::new()
    };
    let note = if m.private {
        format!(
            " <span class=\"badge note-badge\">{}</span>",
            e(lang.t("note_short"))
        )
    } else {
        String::new()
    };
    format!(
        "<li class=\"msg {kind}{elsewhere}\" data-message-id=\"{id}\" data-conversation-id=\"{cid}\">\
         <div class=\"msg-meta\"><span class=\"author\">{author}</span> \
         <span class=\"chan chan-{chan}\">{chan_name}</span>{note} {time}{other}</div>\
         <p class=\"text\">{text}</p>{files}</li>",
        elsewhere = if m.conversation_id != current {
            " elsewhere"
        } else {
            ""
        },
        id = m.id,
        cid = m.conversation_id,
        author = e(&author_name(m, contact_name, dir, lang)),
        chan = m.channel.as_str(),
        chan_name = e(channel_name(m.channel, lang)),
        time = time(m.created_at.0),
        text = e(&m.text),
        files = attachment_list(m),
    )
}

/// Links to a message's files (images as small previews); the file route
/// serves them sandboxed, and every name is escaped.
fn attachment_list(m: &Message) -> String {
    if m.attachments.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"files\">");
    for a in &m.attachments {
        let url = format!("/api/v1/attachments/{}", a.id);
        let preview = if a.content_type.starts_with("image/") {
            format!(
                "<img src=\"{url}\" alt=\"{}\" loading=\"lazy\">",
                e(&a.name)
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<li><a href=\"{url}\" target=\"_blank\" rel=\"noopener\">{preview}<span class=\"file-name\">{}</span></a> <span class=\"file-size\">{} KB</span></li>",
            e(&a.name),
            (a.size + 1023) / 1024
        ));
    }
    out.push_str("</ul>");
    out
}

/// The head of a conversation: who, status, and the actions.
fn conversation_head(
    page: &AgentPage,
    c: &Conversation,
    contact_name: &str,
    dir: &Directory,
) -> String {
    let lang = page.lang;
    let csrf = e(page.csrf());
    let action = format!("/inbox/c/{}", c.id);
    let hidden = |op: &str| {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"op\" value=\"{op}\">"
        )
    };
    let mut s = format!(
        "<div id=\"conv-head\" class=\"conv-head\" data-status=\"{st}\">\n\
         <a class=\"back\" href=\"/inbox\" aria-label=\"{back}\">←</a>\n\
         <h1><span class=\"name\">{name}</span> <span class=\"conv-id\">#{id}</span></h1>\n\
         <p class=\"conv-meta\"><span class=\"badge status-{st}\">{stn}</span>",
        st = c.status.as_str(),
        back = e(lang.t("back_to_list")),
        name = e(contact_name),
        id = c.id,
        stn = e(status_name(c.status, lang)),
    );
    if let (ConversationStatus::Snoozed, Some(until)) = (c.status, c.snoozed_until) {
        let _ = write!(s, " {} {}", e(lang.t("snoozed_until")), time(until.0));
    }
    if let Some(sub) = &c.subject {
        let _ = write!(s, " <span class=\"subject\">{}</span>", e(sub));
    }
    s.push_str("</p>\n<div class=\"actions\">\n");
    // Resolve or reopen.
    if c.status == ConversationStatus::Resolved || c.status == ConversationStatus::Snoozed {
        let _ = writeln!(
            s,
            "<form method=\"post\" action=\"{action}\" data-ajax>{h}<button type=\"submit\" id=\"btn-reopen\">{t}</button></form>",
            h = hidden("reopen"),
            t = e(lang.t("reopen"))
        );
    }
    if c.status != ConversationStatus::Resolved {
        let _ = writeln!(
            s,
            "<form method=\"post\" action=\"{action}\" data-ajax>{h}<button type=\"submit\" id=\"btn-resolve\" class=\"primary\">{t}</button></form>",
            h = hidden("resolve"),
            t = e(lang.t("resolve"))
        );
    }
    // A conversation the bot handed over can go back to the bot.
    if c.labels
        .iter()
        .any(|l| l == balie_services::bot::HANDOFF_LABEL)
    {
        let _ = writeln!(
            s,
            "<form method=\"post\" action=\"{action}\" data-ajax>{h}<button type=\"submit\" id=\"btn-resume-bot\" title=\"{tip}\">{t}</button></form>",
            h = hidden("resume_bot"),
            t = e(lang.t("resume_bot")),
            tip = e(lang.t("resume_bot_tip"))
        );
    }
    // Snooze.
    let mut snooze = String::new();
    for (v, k) in [
        ("1h", "snooze_1h"),
        ("4h", "snooze_4h"),
        ("1d", "snooze_1d"),
        ("1w", "snooze_1w"),
    ] {
        snooze.push_str(&option(v, lang.t(k), false));
    }
    let _ = writeln!(
        s,
        "<form method=\"post\" action=\"{action}\" data-ajax class=\"inline\">{h}\
         <select name=\"snooze\" aria-label=\"{t}\">{snooze}</select><button type=\"submit\">{t}</button></form>",
        h = hidden("snooze"),
        t = e(lang.t("snooze"))
    );
    // Assign.
    let cur = c.assignee_id.map(|i| i.to_string()).unwrap_or_default();
    let mut assignee = option("", lang.t("unassigned"), cur.is_empty());
    for a in dir.agents.iter().filter(|a| a.active) {
        let id = a.id.to_string();
        let label = format!("{} ({})", a.name, presence_name(a.presence, lang));
        assignee.push_str(&option(&id, &label, cur == id));
    }
    let _ = writeln!(
        s,
        "<form method=\"post\" action=\"{action}\" data-ajax data-autosubmit class=\"inline\">{h}\
         <label>{t}<select name=\"assignee\" id=\"assignee\">{assignee}</select></label>\
         <noscript><button type=\"submit\">{save}</button></noscript></form>",
        h = hidden("assign"),
        t = e(lang.t("assignee")),
        save = e(lang.t("save")),
    );
    if c.assignee_id != Some(page.actor.agent_id) {
        let _ = writeln!(
            s,
            "<form method=\"post\" action=\"{action}\" data-ajax>{h}<input type=\"hidden\" name=\"assignee\" value=\"me\">\
             <button type=\"submit\" id=\"btn-assign-me\">{t}</button></form>",
            h = hidden("assign"),
            t = e(lang.t("assign_me"))
        );
    }
    let _ = writeln!(
        s,
        "<details class=\"more-actions\" data-open-wide><summary>{}</summary><div class=\"actions\">",
        e(lang.t("more_actions"))
    );
    // Team.
    let cur_team = c.team_id.map(|i| i.to_string()).unwrap_or_default();
    let mut team = option("", lang.t("no_team"), cur_team.is_empty());
    for t in &dir.teams {
        let id = t.id.to_string();
        team.push_str(&option(&id, &t.name, cur_team == id));
    }
    let _ = writeln!(
        s,
        "<form method=\"post\" action=\"{action}\" data-ajax data-autosubmit class=\"inline\">{h}\
         <label>{t}<select name=\"team\">{team}</select></label>\
         <noscript><button type=\"submit\">{save}</button></noscript></form>",
        h = hidden("team"),
        t = e(lang.t("team")),
        save = e(lang.t("save")),
    );
    // Priority.
    let mut prio = String::new();
    for p in Priority::ALL {
        prio.push_str(&option(
            p.as_str(),
            priority_name(*p, lang),
            c.priority == *p,
        ));
    }
    let _ = writeln!(
        s,
        "<form method=\"post\" action=\"{action}\" data-ajax data-autosubmit class=\"inline\">{h}\
         <label>{t}<select name=\"priority\">{prio}</select></label>\
         <noscript><button type=\"submit\">{save}</button></noscript></form>",
        h = hidden("priority"),
        t = e(lang.t("priority")),
        save = e(lang.t("save")),
    );
    // Labels.
    let _ = writeln!(
        s,
        "<form method=\"post\" action=\"{action}\" data-ajax class=\"inline labels-form\">{h}\
         <label>{t}<input type=\"text\" name=\"labels\" value=\"{labels}\" placeholder=\"{hint}\"></label>\
         <button type=\"submit\">{save}</button></form>",
        h = hidden("labels"),
        t = e(lang.t("labels")),
        labels = e(&c.labels.join(", ")),
        hint = e(lang.t("labels_hint")),
        save = e(lang.t("save")),
    );
    s.push_str("</div></details>\n</div>\n<p class=\"form-error head-error\" role=\"alert\" hidden></p>\n</div>");
    s
}

/// The contact sidebar: identities, details, other conversations, colleagues.
fn sidebar(
    lang: Lang,
    contact: &Contact,
    convs: &[Conversation],
    orders: &[balie_domain::Order],
    current: i64,
    dir: &Directory,
) -> String {
    let mut s = format!(
        "<aside id=\"sidebar\" class=\"sidebar\" aria-label=\"{contact_l}\">\n<h2>{contact_l}</h2>\n\
         <p class=\"contact-name\">{name}</p>\n<h3>{ids_l}</h3>\n<ul class=\"identities\">\n",
        contact_l = e(lang.t("contact")),
        name = e(&display_name(contact, lang)),
        ids_l = e(lang.t("identities")),
    );
    for i in &contact.identities {
        let _ = writeln!(
            s,
            "<li><span class=\"kind\">{}</span> <span class=\"value\">{}</span></li>",
            e(i.kind.as_str()),
            e(&i.value)
        );
    }
    s.push_str("</ul>\n");
    if let Some(attrs) = contact.attributes.as_object().filter(|o| !o.is_empty()) {
        let _ = writeln!(
            s,
            "<h3>{}</h3>\n<dl class=\"attributes\">",
            e(lang.t("attributes"))
        );
        for (k, v) in attrs {
            let v = match v {
                serde_json::Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", e(k), e(&v));
        }
        s.push_str("</dl>\n");
    }
    let _ = writeln!(
        s,
        "<p class=\"since\">{} {}</p>",
        e(lang.t("customer_since")),
        time(contact.created_at.0)
    );
    let _ = writeln!(
        s,
        "<h3>{}</h3>\n<ul class=\"contact-convs\">",
        e(lang.t("contact_conversations"))
    );
    for c in convs {
        let _ = writeln!(
            s,
            "<li{cur}><a href=\"/inbox/c/{id}\">#{id}</a> <span class=\"badge status-{st}\">{stn}</span> {time}</li>",
            cur = if c.id == current {
                " class=\"current\""
            } else {
                ""
            },
            id = c.id,
            st = c.status.as_str(),
            stn = e(status_name(c.status, lang)),
            time = time(c.last_message_at.unwrap_or(c.created_at).0),
        );
    }
    s.push_str("</ul>\n");
    s.push_str(&order_list(lang, orders));
    let _ = writeln!(s, "<h3>{}</h3>\n<ul class=\"agents\">", e(lang.t("agents")));
    for a in dir.agents.iter().filter(|a| a.active) {
        let _ = writeln!(
            s,
            "<li class=\"presence-{p}\" data-agent-id=\"{id}\"><span class=\"dot\"></span> {name} <span class=\"muted\">{pn}</span></li>",
            p = a.presence.as_str(),
            id = a.id,
            name = e(&a.name),
            pn = e(presence_name(a.presence, lang)),
        );
    }
    s.push_str("</ul>\n</aside>");
    s
}

/// The customer's orders: number, status, carrier with track & trace, and
/// expected delivery, so the agent needn't ask.
fn order_list(lang: Lang, orders: &[balie_domain::Order]) -> String {
    let mut s = format!("<h3>{}</h3>\n", e(lang.t("orders")));
    if orders.is_empty() {
        let _ = writeln!(s, "<p class=\"muted\">{}</p>", e(lang.t("no_orders")));
        return s;
    }
    s.push_str("<ul class=\"orders\">\n");
    for o in orders {
        let tracking = match (&o.tracking_code, &o.tracking_url) {
            (Some(code), Some(url))
                if url.starts_with("https://") || url.starts_with("http://") =>
            {
                format!(
                    " <a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
                    e(url),
                    e(code)
                )
            }
            (Some(code), _) => format!(" <span class=\"tracking\">{}</span>", e(code)),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "<li><strong>#{number}</strong> <span class=\"badge order-{st}\">{st}</span>{carrier}{tracking}{expected}{total}</li>",
            number = e(&o.number),
            st = e(o.status.as_str()),
            carrier = o.carrier.as_deref().map(|c| format!(" {}", e(c))).unwrap_or_default(),
            expected = o
                .expected_delivery
                .as_deref()
                .map(|d| format!(" <span class=\"muted\">{} {}</span>", e(lang.t("expected")), e(d)))
                .unwrap_or_default(),
            total = match (&o.total, &o.currency) {
                (Some(t), Some(c)) => format!(" <span class=\"muted\">{} {}</span>", e(t), e(c)),
                _ => String::new(),
            },
        );
    }
    s.push_str("</ul>\n");
    s
}

/// The reply box; `draft` is the text to put back after a failed send (or
/// a canned response picked without the script).
fn reply_form(
    page: &AgentPage,
    c: &Conversation,
    draft: Option<(&str, &str)>,
    canned: &[CannedResponse],
) -> String {
    let lang = page.lang;
    let (op, text) = draft.unwrap_or(("reply", ""));
    let mut channels = option("", lang.t("last_channel"), true);
    for ch in Channel::ALL {
        channels.push_str(&option(ch.as_str(), channel_name(*ch, lang), false));
    }
    // The picker searches code and title; it lives in a form of its own
    // (GET, so it works without the script) that the reply form cannot nest.
    let picker = if canned.is_empty() {
        let mut s = format!(
            "<span class=\"canned canned-empty muted\">{}",
            e(lang.t("canned_none"))
        );
        if page.actor.role.is_admin() {
            let _ = write!(
                s,
                " <a href=\"/settings/canned\">{}</a>",
                e(lang.t("canned_add"))
            );
        }
        s.push_str("</span>");
        s
    } else {
        let mut options = String::new();
        for k in canned {
            let label = match k.language.as_deref() {
                Some(l) => format!("{} ({})", k.title, l.to_uppercase()),
                None => k.title.clone(),
            };
            let _ = write!(
                options,
                "<option value=\"{code}\" data-id=\"{id}\">{label}</option>",
                code = e(&k.code),
                id = k.id,
                label = e(&label),
            );
        }
        format!(
            "<span class=\"canned\"><label for=\"canned\">{canned_l}</label>\
             <input type=\"search\" id=\"canned\" name=\"canned\" form=\"canned-pick\" list=\"canned-options\" \
             placeholder=\"{pick}\" autocomplete=\"off\" spellcheck=\"false\">\
             <datalist id=\"canned-options\">{options}</datalist>\
             <button type=\"submit\" form=\"canned-pick\">{insert}</button></span>",
            canned_l = e(lang.t("canned")),
            pick = e(lang.t("canned_pick")),
            insert = e(lang.t("canned_insert")),
        )
    };
    format!(
        "<form id=\"reply\" class=\"reply\" method=\"post\" action=\"/inbox/c/{id}\" data-ajax data-reply>\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <div class=\"reply-modes\" role=\"radiogroup\">\
         <label><input type=\"radio\" name=\"op\" value=\"reply\"{reply_checked}> {reply_l}</label>\
         <label><input type=\"radio\" name=\"op\" value=\"note\"{note_checked}> {note_l}</label></div>\n\
         <textarea name=\"text\" id=\"reply-text\" rows=\"3\" data-placeholder-reply=\"{ph_reply}\" data-placeholder-note=\"{ph_note}\" placeholder=\"{ph}\" aria-label=\"{reply_l}\">{text}</textarea>\n\
         <div class=\"reply-bar\">{picker}\
         <label class=\"via\">{via_l}<select name=\"channel\">{channels}</select></label>\
         <button type=\"submit\" class=\"primary\">{send}</button></div>\n\
         <p class=\"form-error\" role=\"alert\" hidden></p>\n</form>\n\
         <form id=\"canned-pick\" method=\"get\" action=\"/inbox/c/{id}\" hidden></form>",
        id = c.id,
        csrf = e(page.csrf()),
        reply_checked = if op == "note" { "" } else { " checked" },
        note_checked = if op == "note" { " checked" } else { "" },
        reply_l = e(lang.t("reply")),
        note_l = e(lang.t("note")),
        ph_reply = e(lang.t("reply_placeholder")),
        ph_note = e(lang.t("note_placeholder")),
        ph = e(lang.t(if op == "note" {
            "note_placeholder"
        } else {
            "reply_placeholder"
        })),
        text = e(text),
        via_l = e(lang.t("send_via")),
        send = e(lang.t("send")),
    )
}

/// Renders the conversation page, with a notice and a draft after a failed
/// form post.
async fn render_conversation(
    state: &AppState,
    page: &AgentPage,
    id: i64,
    q: &ListQuery,
    error: Option<&str>,
    draft: Option<(&str, &str)>,
) -> Result<(String, Conversation), ServiceError> {
    let lang = page.lang;
    let conv = state.services.get_conversation(&page.actor, id).await?;
    let dir = Directory::load(state, page).await?;
    let contact = state
        .services
        .get_contact(&page.actor, conv.contact_id)
        .await?;
    let contact_name = display_name(&contact, lang);
    let history = whole_history(state, page, contact.id).await?;
    // The customer's orders, newest first (a shop without orders shows none).
    let orders = state
        .services
        .contact_orders(
            &page.actor,
            contact.id,
            PageRequest {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .map(|p| p.data)
        .unwrap_or_default();
    let contact_convs = state
        .services
        .list_conversations(
            &page.actor,
            &ConversationFilter {
                contact_id: Some(contact.id),
                ..Default::default()
            },
            PageRequest {
                cursor: None,
                limit: 100,
            },
        )
        .await?
        .data;
    let pane = list_pane(state, page, q, &dir, Some(id)).await?;
    let canned = state
        .services
        .list_canned(&page.actor, &CannedQuery::default())
        .await?;
    let mut timeline = String::from("<ol id=\"timeline\" class=\"timeline\">\n");
    if history.is_empty() {
        let _ = writeln!(
            timeline,
            "<li class=\"empty\">{}</li>",
            e(lang.t("no_messages"))
        );
    }
    for m in &history {
        timeline.push_str(&message_item(m, id, &contact_name, &dir, lang));
        timeline.push('\n');
    }
    timeline.push_str("</ol>");
    let error_html = error
        .map(|m| format!("<p class=\"error page-error\" role=\"alert\">{}</p>", e(m)))
        .unwrap_or_default();
    let conv_section = format!(
        "<section class=\"conv\" aria-label=\"{conv_l}\">\n{head}\n{error_html}\n\
         <h2 class=\"history-title\">{history_l}</h2>\n{timeline}\n\
         <p id=\"signals\" class=\"signals\" aria-live=\"polite\"></p>\n{reply}\n</section>",
        conv_l = e(lang.t("conversation")),
        head = conversation_head(page, &conv, &contact_name, &dir),
        history_l = e(lang.t("history")),
        reply = reply_form(page, &conv, draft, &canned),
    );
    // Used by the script to render live messages like the server does.
    let mut agents_attr = String::new();
    for a in &dir.agents {
        let _ = write!(
            agents_attr,
            "<li data-agent-id=\"{}\">{}</li>",
            a.id,
            e(&a.name)
        );
    }
    let templates = format!(
        "<ul id=\"agent-names\" hidden>{agents_attr}</ul>\n\
         <template id=\"tpl-msg\"><li class=\"msg\"><div class=\"msg-meta\"><span class=\"author\"></span> \
         <span class=\"chan\"></span><span class=\"note-slot\"></span> <time></time></div><p class=\"text\"></p></li></template>\n\
         <ul id=\"channel-names\" hidden>{channels}</ul>\n\
         <span id=\"t-note\" hidden>{note}</span><span id=\"t-bot\" hidden>{bot}</span><span id=\"t-system\" hidden>{system}</span><span id=\"t-agent\" hidden>{agent}</span>",
        channels = Channel::ALL
            .iter()
            .map(|c| format!(
                "<li data-channel=\"{}\">{}</li>",
                c.as_str(),
                e(channel_name(*c, lang))
            ))
            .collect::<String>(),
        note = e(lang.t("note_short")),
        bot = e(lang.t("bot")),
        system = e(lang.t("system")),
        agent = e(lang.t("agent")),
    );
    let main = format!(
        "<div class=\"layout with-conv\">\n{pane}\n{conv_section}\n{side}\n</div>\n{templates}",
        side = sidebar(lang, &contact, &contact_convs, &orders, id, &dir),
    );
    let extra = format!(
        " data-conversation-id=\"{}\" data-contact-id=\"{}\" data-contact-name=\"{}\"",
        conv.id,
        contact.id,
        e(&contact_name)
    );
    let title = format!("{contact_name} #{}", conv.id);
    let path = format!("/inbox/c/{id}?{}", q.to_query());
    let shell = Shell {
        lang,
        title: &title,
        body_attrs: body_attrs(page, &dir, "conversation", &extra),
        csrf: Some(page.csrf()),
        top: top_bar(page, &path),
        main,
    };
    Ok((shell.render(), conv))
}

/// A canned response picked without the script: `?canned=code`.
#[derive(Debug, Default, Deserialize)]
pub struct CannedPick {
    pub canned: Option<String>,
}

/// `GET /inbox/c/{id}`: one conversation with the whole history; with
/// `?canned=code` the reply box holds that canned response, filled in.
pub async fn conversation(
    State(state): State<AppState>,
    page: AgentPage,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
    Query(pick): Query<CannedPick>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    let code = pick
        .canned
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let (error, draft) = match code {
        None => (None, None),
        Some(code) => {
            let picked = match state.services.find_canned(&page.actor, code).await {
                Ok(canned) => {
                    state
                        .services
                        .render_canned(&page.actor, id, &canned, Some(page.lang.code()))
                        .await
                }
                Err(err) => Err(err),
            };
            match picked {
                Ok(text) => (None, Some(text)),
                Err(ServiceError::NotFound) => (
                    Some(page.lang.t("canned_unknown_code").replace("{code}", code)),
                    None,
                ),
                Err(err) => return error_page(page.lang, &err),
            }
        }
    };
    let draft = draft.as_deref().map(|t| ("reply", t));
    match render_conversation(&state, &page, id, &q, error.as_deref(), draft).await {
        Ok((body, _)) => remember_lang(html_response(StatusCode::OK, body), page.chosen_lang),
        Err(err) => error_page(page.lang, &err),
    }
}

/// A form posted from the conversation page.
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    text: Option<String>,
    channel: Option<String>,
    assignee: Option<String>,
    team: Option<String>,
    labels: Option<String>,
    snooze: Option<String>,
    priority: Option<String>,
}

enum Outcome {
    Message(Message),
    Conversation(Conversation),
}

fn bad_value(lang: Lang, field: &str) -> ServiceError {
    ServiceError::invalid(field, lang.t("bad_value"))
}

async fn apply(
    state: &AppState,
    page: &AgentPage,
    id: i64,
    form: &ActionForm,
) -> Result<Outcome, ServiceError> {
    let lang = page.lang;
    let s = &state.services;
    let mut patch = ConversationPatch::default();
    match form.op.as_str() {
        "reply" | "note" => {
            let text = form.text.as_deref().unwrap_or("");
            if text.trim().is_empty() {
                return Err(ServiceError::invalid("text", lang.t("empty_text")));
            }
            let channel = match form.channel.as_deref().unwrap_or("") {
                "" => None,
                c => Some(
                    c.parse::<Channel>()
                        .map_err(|_| bad_value(lang, "channel"))?,
                ),
            };
            let m = s
                .add_message(
                    &page.actor,
                    id,
                    ReplyInput {
                        text: text.to_string(),
                        channel,
                        private: form.op == "note",
                        direction: Direction::Outbound,
                    },
                )
                .await?;
            return Ok(Outcome::Message(m));
        }
        "resolve" => patch.status = Some(ConversationStatus::Resolved),
        "resume_bot" => return Ok(Outcome::Conversation(s.resume_bot(&page.actor, id).await?)),
        "reopen" => {
            patch.status = Some(ConversationStatus::Open);
            patch.snoozed_until = Some(None);
        }
        "snooze" => {
            let hours = match form.snooze.as_deref().unwrap_or("") {
                "1h" => 1,
                "4h" => 4,
                "1d" => 24,
                "1w" => 24 * 7,
                _ => return Err(bad_value(lang, "snooze")),
            };
            patch.status = Some(ConversationStatus::Snoozed);
            patch.snoozed_until = Some(Some(s.now() + hours * 3_600_000));
        }
        "assign" => {
            patch.assignee_id = Some(match form.assignee.as_deref().unwrap_or("") {
                "" | "none" => None,
                "me" => Some(page.actor.agent_id),
                other => Some(other.parse().map_err(|_| bad_value(lang, "assignee"))?),
            })
        }
        "team" => {
            patch.team_id = Some(match form.team.as_deref().unwrap_or("") {
                "" => None,
                other => Some(other.parse().map_err(|_| bad_value(lang, "team"))?),
            })
        }
        "priority" => {
            patch.priority = Some(
                form.priority
                    .as_deref()
                    .unwrap_or("")
                    .parse()
                    .map_err(|_| bad_value(lang, "priority"))?,
            )
        }
        "labels" => {
            patch.labels = Some(
                form.labels
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        }
        _ => return Err(ServiceError::invalid("op", lang.t("unknown_action"))),
    }
    Ok(Outcome::Conversation(
        s.update_conversation(&page.actor, id, patch).await?,
    ))
}

/// `POST /inbox/c/{id}`: reply, note, or change the conversation. Answers
/// JSON to the script, else redirects back (or shows the page again with the
/// error and the agent's text).
pub async fn conversation_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
    Form(form): Form<ActionForm>,
) -> Response {
    let lang = page.lang;
    let json = super::wants_json(&headers);
    let Ok(id) = id.parse::<i64>() else {
        return error_page(lang, &ServiceError::NotFound);
    };
    let result = if !crate::live::same_origin(&headers) {
        Err((StatusCode::FORBIDDEN, lang.t("bad_origin").to_string()))
    } else if !page.csrf_ok(&form.csrf) {
        Err((StatusCode::FORBIDDEN, lang.t("csrf_failed").to_string()))
    } else {
        apply(&state, &page, id, &form)
            .await
            .map_err(|err| readable_error(lang, &err))
    };
    match (result, json) {
        (Ok(Outcome::Message(m)), true) => {
            axum::Json(json!({ "ok": true, "message": m })).into_response()
        }
        (Ok(Outcome::Conversation(c)), true) => {
            axum::Json(json!({ "ok": true, "conversation": c })).into_response()
        }
        (Ok(_), false) => Redirect::to(&format!("/inbox/c/{id}?{}", q.to_query())).into_response(),
        (Err((status, message)), true) => {
            (status, axum::Json(json!({ "ok": false, "error": message }))).into_response()
        }
        (Err((status, message)), false) => {
            let draft = match form.op.as_str() {
                "reply" | "note" => Some((form.op.as_str(), form.text.as_deref().unwrap_or(""))),
                _ => None,
            };
            match render_conversation(&state, &page, id, &q, Some(&message), draft).await {
                Ok((body, _)) => html_response(status, body),
                Err(err) => error_page(lang, &err),
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PresenceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    presence: String,
}

/// `POST /inbox/presence`: the agent sets themselves online, away or offline.
pub async fn presence(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<PresenceForm>,
) -> Response {
    let lang = page.lang;
    let json = super::wants_json(&headers);
    let result = if !crate::live::same_origin(&headers) || !page.csrf_ok(&form.csrf) {
        Err((StatusCode::FORBIDDEN, lang.t("csrf_failed").to_string()))
    } else {
        let p = match form.presence.as_str() {
            "online" => Ok(Presence::Online),
            "away" => Ok(Presence::Away),
            "offline" => Ok(Presence::Offline),
            _ => Err(bad_value(lang, "presence")),
        };
        match p {
            Ok(p) => state
                .services
                .update_agent(
                    &page.actor,
                    page.actor.agent_id,
                    AgentPatch {
                        presence: Some(p),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ())
                .map_err(|err| readable_error(lang, &err)),
            Err(err) => Err(readable_error(lang, &err)),
        }
    };
    match (result, json) {
        (Ok(()), true) => axum::Json(json!({ "ok": true })).into_response(),
        (Ok(()), false) => {
            let back = headers
                .get(axum::http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.find("/inbox").map(|i| r[i..].to_string()))
                .unwrap_or_else(|| "/inbox".into());
            Redirect::to(&back).into_response()
        }
        (Err((status, message)), true) => {
            (status, axum::Json(json!({ "ok": false, "error": message }))).into_response()
        }
        (Err((_, message)), false) => error_page(lang, &ServiceError::invalid("presence", message)),
    }
}
