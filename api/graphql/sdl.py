"""Print the served GraphQL schema (SDL); `make schema` keeps schema/valuegraph.graphql in step with it."""

from valuegraph.api.graphql.schema import create_schema


def sdl() -> str:
    return create_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
