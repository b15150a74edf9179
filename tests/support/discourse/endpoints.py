"""The endpoints the Discourse double serves, each answering with the state of its forum.

Every answer is completed to the operation's response schema (``contract.complete``) and then
checked against the spec by the double's middleware.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.support.discourse import contract
from tests.support.discourse.forum import EVENT_TYPES, Category, Forum, Post, User, WebHook

BODY = web.RequestKey("body", dict)  # the request's JSON, parsed once by the middleware


class Endpoints:
    """Request handlers over ``forum``; the double adds the HTTP layer and the web hooks."""

    forum: Forum
    url: str

    def _fire(self, event: str, post: Post) -> None:
        raise NotImplementedError  # the double sends web hooks

    def _json(self, method: str, template: str, document: Any, status: int = 200) -> web.Response:
        """Answer with ``document`` completed to the operation's response schema."""
        schema = contract.response_schema(method, template, status)
        return web.json_response(contract.complete(schema, document), status=status)

    # -- categories -------------------------------------------------------------------------

    def _category_json(self, category: Category, listed: bool = False) -> dict[str, Any]:
        children = [c.id for c in self.forum.categories.values() if c.parent_id == category.id]
        item = {
            "id": category.id,
            "name": category.name,
            "slug": category.slug,
            "color": category.color,
            "text_color": "FFFFFF",
            "read_restricted": "everyone" not in category.permissions,
            "has_children": bool(children),
            "subcategory_count": len(children),
        }
        if listed:  # only the listing carries the children's ids
            item["subcategory_ids"] = children
        return item

    async def _list_categories(self, request: web.Request) -> web.Response:
        with_children = request.query.get("include_subcategories") == "true"
        top = [c for c in self.forum.categories.values() if c.parent_id is None]
        listing = []
        for category in top:
            item = self._category_json(category, listed=True)
            if with_children:
                item["subcategory_list"] = [
                    self._category_json(c, listed=True)
                    for c in self.forum.categories.values()
                    if c.parent_id == category.id
                ]
            listing.append(item)
        return self._json(
            "get",
            "/categories.json",
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
        return self._json("post", "/categories.json", {"category": self._category_json(category)})

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
        return self._json(
            "put",
            "/categories/{id}.json",
            {"success": "OK", "category": self._category_json(category)},
        )

    # -- groups and users -------------------------------------------------------------------

    async def _get_group(self, request: web.Request) -> web.Response:
        group = self.forum.groups.get(request.match_info["name"])
        if group is None:
            raise LookupError
        return self._json(
            "get",
            "/groups/{name}.json",
            {
                "group": {
                    "id": group.id,
                    "name": group.name,
                    "full_name": group.full_name,
                    "user_count": len(group.members),
                },
                "extras": {"visible_group_names": sorted(self.forum.groups)},
            },
        )

    async def _create_group(self, request: web.Request) -> web.Response:
        spec = request[BODY]["group"]
        group = self.forum.add_group(spec["name"], spec.get("full_name", ""))
        return self._json(
            "post",
            "/admin/groups.json",
            {"basic_group": {"id": group.id, "name": group.name, "full_name": group.full_name}},
        )

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
        return self._json(
            "put",
            "/groups/{id}/members.json",
            {"success": "OK", "usernames": names, "emails": []},
        )

    async def _remove_members(self, request: web.Request) -> web.Response:
        group, names = self._group_and_users(request)
        removed = [n for n in names if n in group.members]
        group.members.difference_update(names)
        return self._json(
            "delete",
            "/groups/{id}/members.json",
            {
                "success": "OK",
                "usernames": removed,
                "skipped_usernames": [n for n in names if n not in removed],
            },
        )

    def _user_json(self, user: User, with_email: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "active": True,
            "admin": user.admin,
        }
        if with_email:
            item["email"] = user.email
        return item

    async def _list_users(self, request: web.Request) -> web.Response:
        email = request.query.get("email", "").lower()
        found = [
            self._user_json(u, request.query.get("show_emails") == "true")
            for u in self.forum.users.values()
            if not email or u.email.lower() == email
        ]
        if not found:
            return web.json_response([])  # the listed gap in the spec
        return self._json("get", "/admin/users/list/{flag}.json", found)

    async def _user_by_external(self, request: web.Request) -> web.Response:
        wanted = request.match_info["external_id"]
        user = next((u for u in self.forum.users.values() if u.external_id == wanted), None)
        if user is None:
            raise LookupError
        return self._json(
            "get",
            "/u/by-external/{external_id}.json",
            {
                "user": {"id": user.id, "username": user.username, "name": user.name},
                "user_badges": [],
            },
        )

    # -- topics and posts -------------------------------------------------------------------

    def _post_json(self, post: Post) -> dict[str, Any]:
        topic = self.forum.topics[post.topic_id]
        user = self.forum.users.get(post.username)
        return {
            "id": post.id,
            "name": user.name if user else None,
            "username": post.username,
            "created_at": post.created_at,
            "updated_at": post.updated_at,
            "cooked": post.cooked,
            "raw": post.raw,
            "post_number": post.post_number,
            "post_type": 1,
            "posts_count": len(topic.posts),
            "topic_id": topic.id,
            "topic_slug": topic.slug,
            "version": post.version,
            "edit_reason": post.edit_reason,
            "user_id": user.id if user else 0,
        }

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
        return self._json("post", "/posts.json", self._post_json(post))

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
        return self._json("put", "/posts/{id}.json", {"post": self._post_json(post)})

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
        posts = [self._post_json(p) for p in self.forum.posts_in(topic.id)]
        for post in posts:  # the topic view lists posts without their raw text
            post.pop("raw", None)
            post.pop("posts_count", None)
            post.pop("edit_reason", None)
            post["name"] = post["name"] or ""
        return self._json(
            "get",
            "/t/{id}.json",
            {
                "id": topic.id,
                "title": topic.title,
                "fancy_title": topic.title,
                "slug": topic.slug,
                "category_id": topic.category_id,
                "closed": topic.closed,
                "tags": [{"id": n, "name": t, "slug": t} for n, t in enumerate(topic.tags, 1)],
                "posts_count": len(posts),
                "highest_post_number": len(posts),
                "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]},
            },
        )

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
        return self._json(
            "put",
            "/t/-/{id}.json",
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
        return self._json(
            "put", "/t/{id}/status.json", {"success": "OK", "topic_status_update": None}
        )

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
