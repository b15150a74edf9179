"""The endpoints the Discourse double serves, each answering with the state of its forum.

Answers are built by ``serializers`` and ``post_serializers``; the double's middleware checks
each one against the spec.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.support.discourse import post_serializers as posts
from tests.support.discourse import serializers as answers
from tests.support.discourse.forum import EVENT_TYPES, Forum, Post, WebHook

BODY = web.RequestKey("body", dict)  # the request's JSON, parsed once by the middleware


class Endpoints:
    """Request handlers over ``forum``; the double adds the HTTP layer and the web hooks."""

    forum: Forum
    url: str

    def _fire(self, event: str, post: Post) -> None:
        raise NotImplementedError  # the double sends web hooks

    async def _list_categories(self, request: web.Request) -> web.Response:
        with_children = request.query.get("include_subcategories") == "true"
        top = [c for c in self.forum.categories.values() if c.parent_id is None]
        listing = []
        for category in top:
            item = answers.category(self.forum, category, listed=True)
            if with_children:
                item["subcategory_list"] = [
                    answers.category(self.forum, c, listed=True)
                    for c in self.forum.categories.values()
                    if c.parent_id == category.id
                ]
            listing.append(item)
        return web.json_response(
            {
                "category_list": {
                    "can_create_category": True,
                    "can_create_topic": True,
                    "categories": listing,
                }
            },
        )

    async def _create_category(self, request: web.Request) -> web.Response:
        data = request[BODY]
        category = self.forum.add_category(
            data["name"],
            parent_id=data.get("parent_category_id"),
            color=data.get("color", "0088CC"),
            permissions=data.get("permissions"),
        )
        return web.json_response({"category": answers.category_detail(self.forum, category)})

    async def _update_category(self, request: web.Request) -> web.Response:
        category = self.forum.categories.get(int(request.match_info["id"]))
        if category is None:
            raise LookupError
        data = request[BODY]
        if "permissions" in data:
            for group in data["permissions"]:
                if group not in ("everyone", "staff", "admins") and group not in self.forum.groups:
                    raise ValueError(f"Group {group} does not exist")
            category.permissions = dict(data["permissions"])
        category.name = data.get("name", category.name)
        return web.json_response(
            {"success": "OK", "category": answers.category_detail(self.forum, category)},
        )

    # -- groups and users -------------------------------------------------------------------

    async def _get_group(self, request: web.Request) -> web.Response:
        group = self.forum.groups.get(request.match_info["name"])
        if group is None:
            raise LookupError
        return web.json_response(
            {
                "group": answers.group(group),
                "extras": {"visible_group_names": sorted(self.forum.groups)},
            }
        )

    async def _create_group(self, request: web.Request) -> web.Response:
        spec = request[BODY]["group"]
        group = self.forum.add_group(spec["name"], spec.get("full_name", ""))
        return web.json_response({"basic_group": answers.basic_group(group)})

    def _group_and_users(self, request: web.Request) -> tuple[Any, list[str]]:
        group = self.forum.group_by_id(int(request.match_info["id"]))
        if group is None:
            raise LookupError
        names = [n for n in request[BODY].get("usernames", "").split(",") if n]
        unknown = [n for n in names if n not in self.forum.users]
        if unknown:
            raise ValueError(f"Could not find users: {', '.join(unknown)}")
        return group, names

    async def _add_members(self, request: web.Request) -> web.Response:
        group, names = self._group_and_users(request)
        already = [n for n in names if n in group.members]
        if already:
            raise ValueError(f"{', '.join(already)} is already a member of this group")
        group.members.update(names)
        return web.json_response(
            {"success": "OK", "usernames": names, "emails": []},
        )

    async def _remove_members(self, request: web.Request) -> web.Response:
        group, names = self._group_and_users(request)
        removed = [n for n in names if n in group.members]
        group.members.difference_update(names)
        return web.json_response(
            {
                "success": "OK",
                "usernames": removed,
                "skipped_usernames": [n for n in names if n not in removed],
            },
        )

    async def _list_users(self, request: web.Request) -> web.Response:
        email = request.query.get("email", "").lower()
        found = [
            answers.admin_user(self.forum, u, with_email=request.query.get("show_emails") == "true")
            for u in self.forum.users.values()
            if not email or u.email.lower() == email
        ]
        if not found:
            return web.json_response([])  # the listed gap in the spec
        return web.json_response(found)

    async def _user_by_external(self, request: web.Request) -> web.Response:
        wanted = request.match_info["external_id"]
        user = next((u for u in self.forum.users.values() if u.external_id == wanted), None)
        if user is None:
            raise LookupError
        return web.json_response(
            {"user": answers.user_profile(self.forum, user), "user_badges": []}
        )

    # -- topics and posts -------------------------------------------------------------------

    async def _create_post(self, request: web.Request) -> web.Response:
        data = request[BODY]
        author = request.headers["Api-Username"]
        if data.get("topic_id") is not None:
            post = self.forum.reply(author, int(data["topic_id"]), data["raw"])
        else:
            post = self.forum.create_topic(
                author,
                data.get("title", ""),
                data["raw"],
                data.get("category"),
                list(data.get("tags", [])),
                data.get("external_id"),
            )
            self._fire("topic_created", post)
        self._fire("post_created", post)
        return web.json_response(posts.created_post(self.forum, post))

    async def _update_post(self, request: web.Request) -> web.Response:
        post = self.forum.posts.get(int(request.match_info["id"]))
        if post is None:
            raise LookupError
        change = request[BODY]["post"]
        if change["raw"] != post.raw:
            post.raw = change["raw"]
            post.version += 1
        post.edit_reason = change.get("edit_reason")
        self._fire("post_edited", post)
        return web.json_response({"post": posts.updated_post(self.forum, post)})

    async def _topic_by_external_id(self, request: web.Request) -> web.Response:
        topic = self.forum.topic_by_external_id(request.match_info["external_id"])
        if topic is None:
            raise LookupError
        return web.Response(
            status=301,
            headers={"Location": f"{self.url}/t/{topic.slug}/{topic.id}.json"},
            text="<html><body>You are being redirected.</body></html>",
            content_type="text/html",
        )

    async def _get_topic(self, request: web.Request) -> web.Response:
        topic = self.forum.topics.get(int(request.match_info["id"]))
        if topic is None:
            raise LookupError
        return web.json_response(posts.topic_view(self.forum, topic))

    async def _update_topic(self, request: web.Request) -> web.Response:
        topic = self.forum.topics.get(int(request.match_info["id"]))
        if topic is None:
            raise LookupError
        change = request[BODY].get("topic", {})
        if "category_id" in change:
            if change["category_id"] not in self.forum.categories:
                raise ValueError("Category is invalid")
            topic.category_id = change["category_id"]
        if "title" in change:
            if len(change["title"].strip()) < 15:
                raise ValueError("Title is too short (minimum is 15 characters)")
            topic.title = change["title"].strip()
        return web.json_response(
            {
                "basic_topic": {
                    "id": topic.id,
                    "title": topic.title,
                    "fancy_title": topic.title,
                    "slug": topic.slug,
                    "posts_count": len(topic.posts),
                }
            },
        )

    async def _topic_status(self, request: web.Request) -> web.Response:
        topic = self.forum.topics.get(int(request.match_info["id"]))
        if topic is None:
            raise LookupError
        data = request[BODY]
        if data["status"] == "closed":
            topic.closed = data["enabled"] == "true"
        return web.json_response({"success": "OK", "topic_status_update": None})

    # -- web hooks --------------------------------------------------------------------------

    def _hook_json(self, hook_id: int) -> dict[str, Any]:
        hook = self.forum.web_hooks[hook_id]
        return {
            "id": hook.id,
            "payload_url": hook.payload_url,
            "content_type": 1,
            "active": hook.active,
            "web_hook_event_types": [
                {"id": i, "name": EVENT_TYPES[i]} for i in hook.event_type_ids
            ],
            "category_ids": hook.category_ids,
        }

    async def _list_web_hooks(self, request: web.Request) -> web.Response:
        return web.json_response({"web_hooks": [self._hook_json(i) for i in self.forum.web_hooks]})

    async def _create_web_hook(self, request: web.Request) -> web.Response:
        spec = request[BODY]["web_hook"]
        hook = WebHook(
            self.forum.next_id(),
            spec["payload_url"],
            spec.get("secret", ""),
            list(spec["web_hook_event_type_ids"]),
            list(spec.get("category_ids", [])),
            spec.get("active", True),
        )
        self.forum.web_hooks[hook.id] = hook
        return web.json_response({"web_hook": self._hook_json(hook.id)})
