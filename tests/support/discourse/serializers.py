"""The double's answers, built from its forum the way Discourse's serializers build theirs.

Each function writes out every field its Discourse serializer sends: the ones the forum knows
(ids, names, text, counts) from its state, the presentation fields with the value Discourse
sends for a fresh forum (no logo: null, no flair: null, defaults from its site settings). The
middleware then checks each answer against the spec, so a field the double forgets or gets
wrong is a contract violation, not something the schema quietly fills in.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.support.discourse.forum import Category, Forum, Group, User

AUTOMATIC_GROUPS = {"everyone": 0, "admins": 1, "moderators": 2, "staff": 3}


def fill(value: Any, names: str) -> dict[str, Any]:
    """The fields ``names`` (separated by spaces), each with its own copy of ``value``."""
    return {name: copy.copy(value) for name in names.split()}


def avatar(username: str) -> str:
    return f"/letter_avatar_proxy/v4/letter/{username[:1].lower() or 'x'}/8c91f0/{{size}}.png"


# -- categories -----------------------------------------------------------------------------


def category(forum: Forum, item: Category, *, listed: bool = False) -> dict[str, Any]:
    """``BasicCategorySerializer`` (``listed``: ``CategoryDetailedSerializer`` in a listing)."""
    children = [c.id for c in forum.categories.values() if c.parent_id == item.id]
    topics = [t for t in forum.topics.values() if t.category_id == item.id]
    position = list(forum.categories).index(item.id)
    fields: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "color": item.color,
        "text_color": "FFFFFF",
        "style_type": "square",
        "slug": item.slug,
        "topic_count": len(topics),
        "post_count": sum(len(t.posts) for t in topics),
        "position": position,
        "read_restricted": "everyone" not in item.permissions,
        "permission": 1,  # the API user is an admin: create, reply, see
        "notification_level": 1,
        "can_edit": True,
        "has_children": bool(children),
        "subcategory_count": len(children),
        "show_subcategory_list": False,
        "num_featured_topics": 3,
        "subcategory_list_style": "rows_with_featured_topics",
        "default_top_period": "all",
        "default_list_filter": "all",
        "minimum_required_tags": 0,
        "navigate_to_first_post_after_read": False,
        **fill(
            None,
            "emoji icon description description_text description_excerpt topic_url "
            "topic_template topic_title_placeholder sort_order sort_ascending default_view "
            "uploaded_logo uploaded_logo_dark uploaded_background uploaded_background_dark",
        ),
    }
    if listed:
        fields |= fill(len(topics), "topics_day topics_week topics_month topics_year")
        fields |= {"topics_all_time": len(topics), "subcategory_ids": children}
    return fields


def category_detail(forum: Forum, item: Category) -> dict[str, Any]:
    """``CategorySerializer``: what creating or updating a category answers."""
    ids = {g.name: g.id for g in forum.groups.values()} | AUTOMATIC_GROUPS
    return {
        **category(forum, item),
        "custom_fields": {},
        "required_tag_groups": [],
        "available_groups": sorted(forum.groups),
        "group_permissions": [
            {"permission_type": level, "group_name": name, "group_id": ids[name]}
            for name, level in item.permissions.items()
        ],
        "auto_close_based_on_last_post": False,
        "allow_unlimited_owner_edits_on_first_post": False,
        "email_in_allow_strangers": False,
        "mailinglist_mirror": False,
        "all_topics_wiki": False,
        "can_delete": not any(t.category_id == item.id for t in forum.topics.values()),
        "allow_badges": True,
        "topic_featured_link_allowed": True,
        "search_priority": 0,
        "form_template_ids": [],
        **fill([], "topic_posting_review_group_ids reply_posting_review_group_ids"),
        **fill(None, "read_only_banner auto_close_hours default_slow_mode_seconds email_in"),
    }


# -- groups and users -----------------------------------------------------------------------


def basic_group(item: Group) -> dict[str, Any]:
    """``BasicGroupSerializer``, as Discourse answers for a group made by an admin."""
    return {
        "id": item.id,
        "automatic": False,
        "name": item.name,
        "user_count": len(item.members),
        "full_name": item.full_name,
        "default_notification_level": 3,
        "can_see_members": True,
        "can_admin_group": True,
        **fill(0, "mentionable_level messageable_level visibility_level members_visibility_level"),
        **fill(
            False,
            "primary_group has_messages public_admission public_exit allow_membership_requests "
            "publish_read_state",
        ),
        **fill(
            None,
            "title grant_trust_level incoming_email flair_url flair_bg_color flair_color "
            "bio_raw bio_cooked bio_excerpt membership_request_template",
        ),
    }


def group(item: Group) -> dict[str, Any]:
    """``GroupShowSerializer``: a group as its page shows it to an admin."""
    return {
        **basic_group(item),
        "message_count": 0,
        **fill(
            False,
            "is_group_user is_group_owner_display mentionable messageable "
            "allow_unknown_sender_topic_replies",
        ),
        **fill(
            None,
            "automatic_membership_email_domains smtp_server smtp_port smtp_ssl_mode "
            "email_username email_password",
        ),
        **fill(
            [],
            "watching_category_ids tracking_category_ids watching_first_post_category_ids "
            "regular_category_ids muted_category_ids",
        ),
    }


def admin_user(forum: Forum, user: User, *, with_email: bool) -> dict[str, Any]:
    """``AdminUserListSerializer``: one line of the admin's user list."""
    fields: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "avatar_template": avatar(user.username),
        "active": True,
        "admin": user.admin,
        "moderator": False,
        "created_at": user.created_at,
        "created_at_age": 0.0,
        "trust_level": 1,
        "staged": False,
        "post_count": sum(1 for p in forum.posts.values() if p.username == user.username),
        **fill(0, "time_read days_visited posts_read_count topics_entered"),
        **fill(
            None,
            "last_seen_at last_emailed_at last_seen_age last_emailed_age "
            "manual_locked_trust_level title",
        ),
    }
    if with_email:
        fields["email"] = user.email
    return fields


def user_profile(forum: Forum, user: User) -> dict[str, Any]:
    """``UserSerializer``: a user's profile as an admin reads it."""
    posts = [p for p in forum.posts.values() if p.username == user.username]
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "avatar_template": avatar(user.username),
        "system_avatar_template": avatar(user.username),
        "created_at": user.created_at,
        "trust_level": 1,
        "admin": user.admin,
        "post_count": len(posts),
        "topic_count": sum(1 for p in posts if p.post_number == 1),
        "custom_fields": {},
        "featured_topic": None,
        "mailing_list_posts_per_day": 0,
        **fill(True, "can_send_private_messages can_send_private_message_to_user can_edit"),
        **fill(True, "can_edit_username can_edit_email can_edit_name can_be_deleted"),
        **fill(True, "can_change_bio can_change_location can_change_website"),
        **fill(True, "can_change_tracking_preferences can_delete_all_posts"),
        **fill(
            False,
            "ignored muted can_ignore_user can_mute_user moderator staged has_title_badges "
            "second_factor_enabled can_upload_profile_header can_upload_user_card_background "
            "use_logo_small_as_avatar",
        ),
        **fill(0, "badge_count time_read recent_time_read pending_count profile_view_count"),
        **fill(
            None,
            "last_posted_at last_seen_at title primary_group_id primary_group_name "
            "flair_group_id flair_name flair_url flair_bg_color flair_color uploaded_avatar_id "
            "locale system_avatar_upload_id user_api_keys invited_by",
        ),
        **fill(
            [],
            "muted_category_ids regular_category_ids watched_tags watching_first_post_tags "
            "tracked_tags muted_tags tracked_category_ids watched_category_ids "
            "watched_first_post_category_ids muted_usernames ignored_usernames "
            "allowed_pm_usernames user_auth_tokens featured_user_badge_ids",
        ),
        "user_notification_schedule": {
            "enabled": False,
            **{f"day_{d}_start_time": 480 for d in range(7)},
            **{f"day_{d}_end_time": 1020 for d in range(7)},
        },
        "groups": [
            {**basic_group(g), "display_name": g.full_name}
            for g in forum.groups.values()
            if user.username in g.members
        ],
        "group_users": [
            {"group_id": g.id, "user_id": user.id, "notification_level": 3}
            for g in forum.groups.values()
            if user.username in g.members
        ],
        "user_option": user_option(user),
    }


def user_option(user: User) -> dict[str, Any]:
    """``UserOptionSerializer`` with Discourse's default site settings."""
    return {
        "user_id": user.id,
        "mailing_list_mode_frequency": 1,
        "email_level": 1,
        "email_messages_level": 0,
        "digest_after_minutes": 10080,
        "auto_track_topics_after_msecs": 240000,
        "notification_level_when_replying": 2,
        "new_topic_duration_minutes": 2880,
        "email_previous_replies": 2,
        "like_notification_frequency": 1,
        "push_notification_level": "always",
        "text_size": "normal",
        "title_count_mode": "notifications",
        "send_shortcut": "default",
        "interface_color_mode": 1,
        "theme_ids": [2],
        "understood_languages": [],
        **fill(0, "theme_key_seq text_size_seq"),
        **fill(True, "email_digests dynamic_favicon enable_quoting enable_smart_lists"),
        **fill(True, "automatically_unpin_topics notify_on_linked_posts allow_private_messages"),
        **fill(True, "include_tl0_in_digests enable_upcoming_change_available_notifications"),
        **fill(
            False,
            "mailing_list_mode external_links_in_new_tab enable_markdown_monospace_font "
            "email_in_reply_to enable_allowed_pm_users hide_profile_and_presence hide_profile "
            "hide_presence skip_new_user_tips topics_unread_when_closed show_original_content "
            "automatically_translate",
        ),
        **fill(None, "color_scheme_id dark_scheme_id homepage_id timezone"),
    }
