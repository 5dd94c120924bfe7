import ujson
from app import APP_NAME, APP_VERSION, create_app


def test_health_answers_with_name_and_version():
    response = create_app().test_client().get("/health")
    assert response.status_code == 200
    assert ujson.loads(response.data) == {
        "status": "ok",
        "app": APP_NAME,
        "version": APP_VERSION,
        "json": "ujson",
    }


def test_ujson_is_the_compiled_extension():
    assert ujson.__file__.endswith(".so")
