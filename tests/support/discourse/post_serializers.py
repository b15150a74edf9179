"""Posts, topics and web-hook payloads, built from the double's forum like Discourse builds them.

Sources: Discourse's ``PostSerializer``, ``TopicViewSerializer``, ``WebHookPostSerializer`` and
``WebHookTopicViewSerializer`` (app/serializers in discourse/discourse): a web-hook post is the
post as the API shows it with ``topic_title``, ``raw``, ``category_id``, ``category_slug``,
``topic_posts_count``, ``topic_filtered_posts_count`` and ``topic_archetype`` added and the
viewer-specific fields (``can_*``, ``yours``, ``actions_summary``, flair colours,
``readers_count``) left out; a web-hook topic is the topic view without its post stream,
details, drafts and timers, with ``created_by`` and ``last_poster`` added.
"""

from __future__ import annotations

from typing import Any

from tests.support.discourse.forum import Forum, Post, Topic
from tests.support.discourse.serializers import avatar, fill

VIEWER_FIELDS = (  # what WebHookPostSerializer leaves out
    "can_edit can_delete can_recover can_wiki can_view_edit_history yours actions_summary "
    "flair_url flair_bg_color flair_color readers_count"
)


def _author(forum: Forum, post: Post) -> dict[str, Any]:
    user = forum.users.get(post.username)
    return {
        "user_id": user.id if user else -1,
        "username": post.username,
        "avatar_template": avatar(post.username),
        "name": user.name if user else None,
        "admin": bool(user and user.admin),
        "staff": bool(user and user.admin),
        "moderator": False,
        "trust_level": 4 if user and user.admin else 1,
    }


def _post_fields(forum: Forum, post: Post) -> dict[str, Any]:
    """The fields every rendering of a post shares (``BasicPostSerializer`` and up)."""
    topic = forum.topics[post.topic_id]
    return {
        "id": post.id,
        **_author(forum, post),
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "cooked": post.cooked,
        "post_number": post.post_number,
        "post_type": 1,
        "reply_count": sum(1 for p in forum.posts_in(topic.id) if p.post_number > post.post_number)
        if post.post_number == 1
        else 0,
        "reply_to_post_number": None,
        "topic_id": topic.id,
        "topic_slug": topic.slug,
        "version": post.version,
        "edit_reason": post.edit_reason,
        "hidden": False,
        "deleted_at": None,
        "user_deleted": False,
        "wiki": False,
        "score": 0.0,
        **fill(0, "quote_count incoming_link_count reads reviewable_score_count"),
        **fill(0, "reviewable_score_pending_count"),
        **fill(None, "primary_group_name flair_name user_title"),
    }


def _viewer_fields(forum: Forum, post: Post) -> dict[str, Any]:
    """What the API user (an admin) may do with the post."""
    return {
        "display_username": forum.users[post.username].name if post.username in forum.users else "",
        "readers_count": 0,
        "yours": post.username == "system",
        "can_edit": True,
        "can_delete": post.post_number > 1,
        "can_recover": False,
        "can_wiki": True,
        "can_view_edit_history": True,
        "bookmarked": False,
        "actions_summary": [{"id": 2, "can_act": True}],  # 2: like
        **fill(None, "flair_url flair_bg_color flair_color"),
    }


def created_post(forum: Forum, post: Post) -> dict[str, Any]:
    """What ``POST /posts.json`` answers."""
    topic = forum.topics[post.topic_id]
    return {
        **_post_fields(forum, post),
        **_viewer_fields(forum, post),
        "posts_count": len(topic.posts),
        "draft_sequence": 0,
        "reviewable_id": None,
        "post_url": f"/t/{topic.slug}/{topic.id}/{post.post_number}",
    }


def updated_post(forum: Forum, post: Post) -> dict[str, Any]:
    """What ``PUT /posts/{id}.json`` answers, under ``post``."""
    return {**created_post(forum, post), "raw": post.raw}


def streamed_post(forum: Forum, post: Post) -> dict[str, Any]:
    """A post in a topic view's stream: no raw text, with links and read state."""
    fields = {
        **_post_fields(forum, post),
        **_viewer_fields(forum, post),
        "read": True,
        "link_counts": [],
        "reviewable_id": 0,
    }
    fields["name"] = fields["name"] or ""
    return fields


def basic_user(forum: Forum, username: str) -> dict[str, Any]:
    user = forum.users.get(username)
    return {
        "id": user.id if user else -1,
        "username": username,
        "name": user.name if user else "",
        "avatar_template": avatar(username),
    }


def _topic_fields(forum: Forum, topic: Topic) -> dict[str, Any]:
    posts = forum.posts_in(topic.id)
    last = posts[-1]
    return {
        "id": topic.id,
        "title": topic.title,
        "fancy_title": topic.title,
        "slug": topic.slug,
        "category_id": topic.category_id,
        "posts_count": len(posts),
        "highest_post_number": last.post_number,
        "reply_count": len(posts) - 1,
        "created_at": topic.created_at,
        "last_posted_at": last.created_at,
        "word_count": sum(len(p.raw.split()) for p in posts),
        "user_id": basic_user(forum, topic.username)["id"],
        "visible": True,
        "closed": topic.closed,
        "archived": False,
        "archetype": "regular",
        "tags": [{"id": n, "name": t, "slug": t} for n, t in enumerate(topic.tags, 1)],
        "tags_descriptions": {},
        "participant_count": len({p.username for p in posts}),
        **fill(0, "views like_count"),
        **fill(False, "pinned_globally pinned has_deleted bookmarked"),
        **fill(None, "deleted_at featured_link pinned_at pinned_until unpinned deleted_by"),
        **fill(None, "thumbnails"),
    }


def topic_view(forum: Forum, topic: Topic) -> dict[str, Any]:
    """What ``GET /t/{id}.json`` answers to an admin."""
    posts = forum.posts_in(topic.id)
    can = not topic.closed
    return {
        **_topic_fields(forum, topic),
        "post_stream": {
            "posts": [streamed_post(forum, p) for p in posts],
            "stream": [p.id for p in posts],
        },
        "timeline_lookup": [[1, 0]],
        "suggested_topics": [],
        "actions_summary": [
            {"id": n, "count": 0, "hidden": False, "can_act": True} for n in (4, 8, 7)
        ],
        "bookmarks": [],
        "chunk_size": 20,
        "draft_key": f"topic_{topic.id}",
        "draft_sequence": 0,
        "message_bus_last_id": 0,
        "has_summary": False,
        "show_read_indicator": False,
        "slow_mode_seconds": 0,
        **fill(None, "draft image_url topic_timer slow_mode_enabled_until"),
        "details": {
            "created_by": basic_user(forum, topic.username),
            "last_poster": basic_user(forum, posts[-1].username),
            "notification_level": 3,
            "can_remove_self_id": 0,
            "can_create_post": can,
            "can_reply_as_new_topic": can,
            **fill(
                True,
                "can_edit can_move_posts can_delete can_remove_allowed_users "
                "can_convert_topic can_review_topic can_close_topic can_archive_topic "
                "can_split_merge_topic can_edit_staff_notes can_toggle_topic_visibility "
                "can_pin_unpin_topic can_moderate_category",
            ),
        },
    }


# -- web hooks ------------------------------------------------------------------------------


def web_hook_post(forum: Forum, post: Post) -> dict[str, Any]:
    """The ``post`` of a ``post_*`` web-hook delivery (``WebHookPostSerializer``)."""
    topic = forum.topics[post.topic_id]
    fields = {**created_post(forum, post), "raw": post.raw}
    for name in VIEWER_FIELDS.split():
        fields.pop(name, None)
    category = forum.categories.get(topic.category_id)
    return {
        **fields,
        "topic_title": topic.title,
        "category_id": topic.category_id,
        "category_slug": category.slug if category else "",
        "topic_posts_count": len(topic.posts),
        "topic_filtered_posts_count": len(topic.posts),
        "topic_archetype": "regular",
    }


def web_hook_topic(forum: Forum, topic: Topic) -> dict[str, Any]:
    """The ``topic`` of a ``topic_*`` web-hook delivery (``WebHookTopicViewSerializer``)."""
    posts = forum.posts_in(topic.id)
    return {
        **_topic_fields(forum, topic),
        "created_by": basic_user(forum, topic.username),
        "last_poster": basic_user(forum, posts[-1].username),
    }
