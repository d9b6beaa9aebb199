"""The accounts pages added for logins and lockouts, in the authorisation matrix."""

ENTRIES = {
    # The page after a login that followed failed ones: every role has one.
    ("GET", "/account/signed-in"): (200, None),
    # Unlocking is user administration: within the administrator's scope (else 404).
    ("POST", "/admin/users/{user_id}/unlock"): (
        {
            "city_admin": (303, None),
            "district_liangxi": (303, 404),
            "park_huaxia": (None, 404),
            "liaison_huaxia_1": (None, 404),
            "leader": (None, 404),
        },
        None,
    ),
}
