"""The forum the double keeps: users, groups, categories, topics, posts, web hooks."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "topic"


def cook(raw: str) -> str:
    """Discourse renders Markdown; paragraphs of escaped text are enough for the tests."""
    paragraphs = [p for p in raw.split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    external_id: str | None = None
    admin: bool = False
    created_at: str = field(default_factory=_now)


@dataclass
class Group:
    id: int
    name: str
    full_name: str
    members: set[str] = field(default_factory=set)


@dataclass
class Category:
    id: int
    name: str
    slug: str
    color: str
    parent_id: int | None
    permissions: dict[str, int]


@dataclass
class Post:
    id: int
    topic_id: int
    post_number: int
    raw: str
    username: str
    edit_reason: str | None = None
    version: int = 1
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    @property
    def cooked(self) -> str:
        return cook(self.raw)


@dataclass
class Topic:
    id: int
    title: str
    category_id: int
    tags: list[str]
    external_id: str | None
    username: str
    posts: list[int] = field(default_factory=list)
    closed: bool = False
    created_at: str = field(default_factory=_now)

    @property
    def slug(self) -> str:
        return slugify(self.title)


@dataclass
class WebHook:
    id: int
    payload_url: str
    secret: str
    event_type_ids: list[int]
    category_ids: list[int]
    active: bool = True


EVENT_TYPES = {1: "topic", 2: "post", 3: "user", 4: "group", 5: "category", 9: "tag"}


class Forum:
    """State like a Discourse forum's, with the rules the bridge relies on."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.categories: dict[int, Category] = {}
        self.topics: dict[int, Topic] = {}
        self.posts: dict[int, Post] = {}
        self.web_hooks: dict[int, WebHook] = {}
        self.add_user("system", "Système", "system@toolbox.invalid", admin=True)
        self.uncategorized = self.add_category("Uncategorized", permissions={"everyone": 1}).id

    def next_id(self) -> int:
        return next(self._ids)

    def add_user(
        self,
        username: str,
        name: str,
        email: str,
        *,
        external_id: str | None = None,
        admin: bool = False,
    ) -> User:
        user = User(self.next_id(), username, name, email, external_id, admin)
        self.users[username] = user
        return user

    def add_group(self, name: str, full_name: str = "") -> Group:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{3,20}", name) or name.lower() in {
            g.lower() for g in self.groups
        }:
            raise ValueError("Name is invalid or has already been taken")
        group = Group(self.next_id(), name, full_name or name)
        self.groups[name] = group
        return group

    def group_by_id(self, group_id: int) -> Group | None:
        return next((g for g in self.groups.values() if g.id == group_id), None)

    def add_category(
        self,
        name: str,
        *,
        parent_id: int | None = None,
        color: str = "0088CC",
        permissions: dict[str, int] | None = None,
    ) -> Category:
        if any(c.name == name and c.parent_id == parent_id for c in self.categories.values()):
            raise ValueError("Category Name has already been taken")
        for group in permissions or {}:
            if group not in ("everyone", "staff", "admins") and group not in self.groups:
                raise ValueError(f"Group {group} does not exist")
        category = Category(
            self.next_id(),
            name,
            slugify(name),
            color,
            parent_id,
            dict(permissions or {"everyone": 1}),
        )
        self.categories[category.id] = category
        return category

    def create_topic(
        self,
        username: str,
        title: str,
        raw: str,
        category_id: int | None,
        tags: list[str],
        external_id: str | None,
    ) -> Post:
        if len(title.strip()) < 15:
            raise ValueError("Title is too short (minimum is 15 characters)")
        if len(raw.strip()) < 20:
            raise ValueError("Body is too short (minimum is 20 characters)")
        if external_id and any(t.external_id == external_id for t in self.topics.values()):
            raise ValueError("External ID has already been taken")
        if category_id is not None and category_id not in self.categories:
            raise ValueError("Category is invalid")
        topic = Topic(
            self.next_id(),
            title.strip(),
            category_id or self.uncategorized,
            tags,
            external_id,
            username,
        )
        self.topics[topic.id] = topic
        return self.reply(username, topic.id, raw)

    def reply(self, username: str, topic_id: int, raw: str) -> Post:
        topic = self.topics.get(topic_id)
        if topic is None:
            raise LookupError("topic not found")
        if topic.closed:
            raise PermissionError("This topic is closed; it no longer accepts new replies")
        if len(raw.strip()) < 20:
            raise ValueError("Body is too short (minimum is 20 characters)")
        post = Post(self.next_id(), topic_id, len(topic.posts) + 1, raw, username)
        self.posts[post.id] = post
        topic.posts.append(post.id)
        return post

    def topic_by_external_id(self, external_id: str) -> Topic | None:
        return next((t for t in self.topics.values() if t.external_id == external_id), None)

    def posts_in(self, topic_id: int) -> list[Post]:
        return [self.posts[p] for p in self.topics[topic_id].posts]
